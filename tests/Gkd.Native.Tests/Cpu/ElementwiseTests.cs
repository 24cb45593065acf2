using Gkd.Native.Core.Tensors;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

[TestFixture(false)]
[TestFixture(true)]
public class ElementwiseTests(bool wide) : CpuOpTest(wide)
{
    // One f32 rounding per element (or two for Axpy without fusion): 1e-6 relative is ample.
    private const double Rtol = 1e-6;

    [TestCase(1, 1)]
    [TestCase(7, 37)]
    [TestCase(3, 1029)]
    public void AddMatchesDoubleAndMayAlias(int rows, int cols)
    {
        var rng = new Random(rows * 100 + cols);
        var a = Uniform(rng, rows * cols);
        var b = Uniform(rng, rows * cols);
        var expected = a.Select((x, i) => (double)x + b[i]).ToArray();
        using var be = Backend();
        using var ta = F32(be, a, rows, cols);
        using var tb = F32(be, b, rows, cols);
        using var ty = be.Allocate(ta.Shape, DType.F32);
        be.Add(ty, ta, tb);
        AssertClose(Read(ty), expected, Rtol, 1e-7, "y = a + b");
        be.Add(ta, ta, tb);
        Assert.That(Read(ta), Is.EqualTo(Read(ty)), "y aliasing a");
    }

    [Test]
    public void AxpyAndScale()
    {
        const int n = 1000 + 7;
        var rng = new Random(2);
        var y = Uniform(rng, n);
        var x = Uniform(rng, n);
        using var be = Backend();
        using var ty = F32(be, y, n);
        using var tx = F32(be, x, n);
        be.Axpy(ty, tx, -0.75f);
        AssertClose(Read(ty), y.Select((v, i) => v - 0.75 * x[i]).ToArray(), Rtol, 1e-7, "y += αx");
        be.Scale(ty, 3f);
        AssertClose(Read(ty), y.Select((v, i) => 3 * (v - 0.75 * x[i])).ToArray(), 3 * Rtol, 1e-7, "y *= α");
    }

    [TestCase(DType.F32)]
    [TestCase(DType.BF16)]
    [TestCase(DType.F16)]
    public void AddBiasReadsStoredDtypes(DType dtype)
    {
        const int rows = 5, cols = 43;
        var rng = new Random(3);
        var y = Uniform(rng, rows * cols);
        var bias = Uniform(rng, cols);
        using var be = Backend();
        using var tb = Stored(be, bias, dtype, cols);
        using var tf = AsF32(be, tb);
        var rounded = Read(tf);
        using var ty = F32(be, y, rows, cols);
        be.AddBias(ty, tb);
        AssertClose(Read(ty), y.Select((v, i) => (double)v + rounded[i % cols]).ToArray(), Rtol, 1e-7, "y += bias");
    }

    private static Tensor AsF32(Gkd.Native.Cpu.CpuBackend be, Tensor t)
    {
        var f = be.Allocate(t.Shape, DType.F32);
        be.Copy(f, t);
        return f;
    }

    [Test]
    public void AddBiasBackwardAccumulatesColumnSumsWithTheSameBitsForAnyThreadCount()
    {
        const int rows = 2111, cols = 37;
        var rng = new Random(4);
        var dy = Uniform(rng, rows * cols);
        var db0 = Uniform(rng, cols);
        var expected = new double[cols];
        for (var j = 0; j < cols; j++)
        {
            expected[j] = db0[j];
            for (var n = 0; n < rows; n++) expected[j] += dy[n * cols + j];
        }
        // The analytic gradient of L = Σ w·(y + bias) over bias is Σₙ w, checked here against a central difference.
        var w = ToDouble(dy);
        AssertDirectionalDerivative(b => { var s = 0.0; for (var i = 0; i < w.Length; i++) s += w[i] * b[i % cols]; return s; },
            ToDouble(db0), expected.Select((e, j) => e - db0[j]).ToArray(), seed: 1, "AddBias");
        float[]? first = null;
        foreach (var threads in ThreadCounts)
        {
            using var be = Backend(threads);
            using var tdy = F32(be, dy, rows, cols);
            using var tdb = F32(be, db0, cols);
            be.AddBiasBackward(tdb, tdy);
            var db = Read(tdb);
            // Sums of 2111 terms of size ≤ 1 in f32: error ≲ 2111 · 2⁻²⁴ · 10 ≈ 1e-3 absolute, far less in practice.
            AssertClose(db, expected, 0, 2e-4, "dbias");
            first ??= db;
            AssertSameBits(db, first, $"threads {threads}");
        }
    }

    [Test]
    public void SumOfSquaresIsExactToF32RoundingAndThreadInvariant()
    {
        const int n = 300_001;
        var x = Uniform(new Random(5), n, 2f);
        var expected = x.Sum(v => (double)v * v);
        float? first = null;
        foreach (var threads in ThreadCounts)
        {
            using var be = Backend(threads);
            using var tx = F32(be, x, 1, n);
            using var r = F32(be, [1.5f], 1);
            be.SumOfSquares(r, tx, accumulate: false);
            var s = Read(r)[0];
            // Squares rounded to f32 (2⁻²⁴ relative each), sums in f32 blocks of 16 then double: ≈ 1e-7 relative.
            Assert.That(s, Is.EqualTo(expected).Within(1e-6 * expected), $"threads {threads}");
            first ??= s;
            Assert.That(s, Is.EqualTo(first.Value), $"threads {threads} bits");
            be.SumOfSquares(r, tx, accumulate: true);
            Assert.That(Read(r)[0], Is.EqualTo(2 * expected).Within(2e-6 * expected), "accumulate");
        }
    }

    [Test]
    public void MismatchedShapesNameTheOp()
    {
        using var be = Backend();
        using var a = be.Allocate(new Shape(3, 4), DType.F32);
        using var b = be.Allocate(new Shape(4, 3), DType.F32);
        using var i = be.Allocate(new Shape(3, 4), DType.I32);
        Assert.That(() => be.Add(a, a, b), Throws.ArgumentException.With.Message.Contains("Add").And.Message.Contains("(4, 3)"));
        Assert.That(() => be.Axpy(a, i, 1f), Throws.ArgumentException.With.Message.Contains("Axpy").And.Message.Contains("I32"));
    }
}

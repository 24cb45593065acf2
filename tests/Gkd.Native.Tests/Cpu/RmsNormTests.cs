using Gkd.Native.Core.Tensors;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

[TestFixture(false)]
[TestFixture(true)]
public class RmsNormTests(bool wide) : CpuOpTest(wide)
{
    private const float Eps = 1e-6f;

    /// <summary>y (N, C) and rstd (N) in double.</summary>
    private static (double[] Y, double[] Rstd) Reference(double[] x, double[] w, int rows, int c)
    {
        var y = new double[rows * c];
        var rstd = new double[rows];
        for (var n = 0; n < rows; n++)
        {
            var ss = 0.0;
            for (var j = 0; j < c; j++) ss += x[n * c + j] * x[n * c + j];
            rstd[n] = 1 / Math.Sqrt(ss / c + Eps);
            for (var j = 0; j < c; j++) y[n * c + j] = w[j] * x[n * c + j] * rstd[n];
        }
        return (y, rstd);
    }

    [TestCase(1, 1, DType.F32)]
    [TestCase(5, 37, DType.F32)]
    [TestCase(4, 899, DType.F32)]
    [TestCase(3, 67, DType.BF16)]
    public void ForwardMatchesDoubleAndMayRunInPlace(int rows, int c, DType wType)
    {
        var rng = new Random(rows * 1000 + c);
        var x = Uniform(rng, rows * c, 3f);
        using var be = Backend();
        using var tw = Stored(be, Uniform(rng, c, 2f), wType, c);
        using var twf = be.Allocate(tw.Shape, DType.F32);
        be.Copy(twf, tw);
        var (y, rstd) = Reference(ToDouble(x), ToDouble(Read(twf)), rows, c);
        using var tx = F32(be, x, rows, c);
        using var ty = be.Allocate(tx.Shape, DType.F32);
        using var tr = be.Allocate(new Shape(rows), DType.F32);
        be.RmsNormForward(ty, tr, tx, tw, Eps);
        // f32 sum of C squares then a few roundings: ≲ 1e-6 relative for C ≤ 900.
        AssertClose(Read(tr), rstd, 2e-6, 0, "rstd");
        AssertClose(Read(ty), y, 3e-6, 1e-7, "y");
        be.RmsNormForward(tx, tr, tx, tw, Eps);
        Assert.That(Read(tx), Is.EqualTo(Read(ty)), "y aliasing x");
    }

    [TestCase(7, 37)]
    [TestCase(1000, 13)]
    public void BackwardMatchesTheAnalyticGradientAndFiniteDifferences(int rows, int c)
    {
        var rng = new Random(rows + c);
        var x = Uniform(rng, rows * c, 3f);
        var w = Uniform(rng, c, 2f);
        var dy = Uniform(rng, rows * c);
        var dx0 = Uniform(rng, rows * c);
        var dw0 = Uniform(rng, c);
        double[] xd = ToDouble(x), wd = ToDouble(w), dyd = ToDouble(dy);
        var (_, rstd) = Reference(xd, wd, rows, c);
        var dx = new double[rows * c];
        var dw = new double[c];
        for (var n = 0; n < rows; n++)
        {
            var r = rstd[n];
            var dot = 0.0;
            for (var j = 0; j < c; j++) dot += dyd[n * c + j] * wd[j] * xd[n * c + j];
            for (var j = 0; j < c; j++)
            {
                dx[n * c + j] = r * wd[j] * dyd[n * c + j] - xd[n * c + j] * r * r * r * dot / c;
                dw[j] += dyd[n * c + j] * xd[n * c + j] * r;
            }
        }
        double Loss(double[] v)
        {
            var (yv, _) = Reference(v[..(rows * c)], v[(rows * c)..], rows, c);
            return Dot(yv, dyd);
        }
        AssertDirectionalDerivative(Loss, xd.Concat(wd).ToArray(), dx.Concat(dw).ToArray(), seed: 5, "RMSNorm");

        var expectedDx = dx.Select((g, i) => g + dx0[i]).ToArray();
        var expectedDw = dw.Select((g, j) => g + dw0[j]).ToArray();
        float[]? firstDw = null;
        foreach (var threads in ThreadCounts)
        {
            using var be = Backend(threads);
            using var tx = F32(be, x, rows, c);
            using var tw = F32(be, w, c);
            using var tdy = F32(be, dy, rows, c);
            using var ty = be.Allocate(tx.Shape, DType.F32);
            using var tr = be.Allocate(new Shape(rows), DType.F32);
            be.RmsNormForward(ty, tr, tx, tw, Eps);
            using var tdx = F32(be, dx0, rows, c);
            using var tdw = F32(be, dw0, c);
            be.RmsNormBackward(tdx, tdw, tdy, tx, tw, tr);
            // Gradient terms of size ≲ 10 from a dozen f32 roundings; dw sums ≤ 129 rows: 1e-5 relative to the scale.
            AssertClose(Read(tdx), expectedDx, 1e-5, 1e-5, "dx");
            AssertClose(Read(tdw), expectedDw, 1e-5, 1e-5 * Math.Sqrt(rows), "dw");
            var dwBits = Read(tdw);
            firstDw ??= dwBits;
            AssertSameBits(dwBits, firstDw, $"dw bits at threads {threads}");
            using var tdx2 = F32(be, dx0, rows, c);
            be.RmsNormBackward(tdx2, null, tdy, tx, tw, tr);
            AssertSameBits(Read(tdx2), Read(tdx), "dx without dw");
        }
    }
}

using System.Runtime.InteropServices;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

[TestFixture]
public class MatmulTests
{
    private CpuBackend _cpu = null!;

    [SetUp]
    public void SetUp() => _cpu = new CpuBackend(threads: 2);

    [TearDown]
    public void TearDown() => _cpu.Dispose();

    /// <summary>Linear forward y (B, T, out) = x (B, T, in) · Wᵀ, W (out, in) stored bf16: 3-D tensors as 2-D views.</summary>
    [Test]
    public void LinearForwardWithBf16Weight() =>
        Check(cDims: [2, 9, 23], aDims: [2, 9, 37], bDims: [23, 37], transA: false, transB: true, DType.BF16, 1f, 0f);

    /// <summary>Linear backward dX (B·T, in) = dY (B·T, out) · W (out, in).</summary>
    [Test]
    public void LinearInputGradient() =>
        Check(cDims: [18, 37], aDims: [18, 23], bDims: [23, 37], transA: false, transB: false, DType.F32, 1f, 0f);

    /// <summary>Linear backward dW (out, in) += dYᵀ · X with dY (B·T, out), X (B·T, in): accumulates (β = 1).</summary>
    [Test]
    public void LinearWeightGradientAccumulates() =>
        Check(cDims: [23, 37], aDims: [3, 6, 23], bDims: [3, 6, 37], transA: true, transB: false, DType.F32, 1f, 1f);

    /// <summary>Both transposed, f16 b, α and β not 1; a decode-sized (M = 1) product.</summary>
    [Test]
    public void TransposedF16AndSingleRow()
    {
        Check(cDims: [19, 8], aDims: [41, 19], bDims: [8, 41], transA: true, transB: true, DType.F16, -0.5f, 0.25f);
        Check(cDims: [1, 300], aDims: [1, 64], bDims: [300, 64], transA: false, transB: true, DType.BF16, 1f, 0f);
    }

    [Test]
    public void BetaZeroOverwritesNaN()
    {
        using var c = _cpu.Allocate(new Shape(20, 30), DType.F32);
        using var a = Upload(new Shape(20, 10), Enumerable.Repeat(1f, 200).ToArray(), DType.F32);
        using var b = Upload(new Shape(10, 30), Enumerable.Repeat(0.5f, 300).ToArray(), DType.F32);
        _cpu.Fill(c, float.NaN);
        _cpu.Matmul(c, a, b, transA: false, transB: false, alpha: 1f, beta: 0f);
        Assert.That(Download(c), Is.All.EqualTo(5f));
    }

    [Test]
    public void RejectsMismatchedShapesNamingThem()
    {
        using var c = _cpu.Allocate(new Shape(4, 5), DType.F32);
        using var a = _cpu.Allocate(new Shape(4, 6), DType.F32);
        using var b = _cpu.Allocate(new Shape(7, 5), DType.F32);
        Assert.That(() => _cpu.Matmul(c, a, b, false, false, 1f, 0f),
            Throws.ArgumentException.With.Message.Contains("(4, 6)").And.Message.Contains("(7, 5)"));
        using var c2 = _cpu.Allocate(new Shape(4, 4), DType.F32);
        using var b2 = _cpu.Allocate(new Shape(6, 5), DType.F32);
        Assert.That(() => _cpu.Matmul(c2, a, b2, false, false, 1f, 0f),
            Throws.ArgumentException.With.Message.Contains("c (4, 4)"));
    }

    [Test]
    public void RejectsUnsupportedDTypesAndOverlap()
    {
        using var c = _cpu.Allocate(new Shape(4, 4), DType.F32);
        using var a = _cpu.Allocate(new Shape(4, 4), DType.F32);
        using var aBf16 = _cpu.Allocate(new Shape(4, 4), DType.BF16);
        using var cBf16 = _cpu.Allocate(new Shape(4, 4), DType.BF16);
        using var bI32 = _cpu.Allocate(new Shape(4, 4), DType.I32);
        Assert.That(() => _cpu.Matmul(c, aBf16, a, false, false, 1f, 0f), Throws.ArgumentException.With.Message.Contains("a BF16"));
        Assert.That(() => _cpu.Matmul(cBf16, a, a, false, false, 1f, 0f), Throws.ArgumentException.With.Message.Contains("c BF16"));
        Assert.That(() => _cpu.Matmul(c, a, bI32, false, false, 1f, 0f), Throws.ArgumentException.With.Message.Contains("I32"));
        Assert.That(() => _cpu.Matmul(c, c, a, false, false, 1f, 0f), Throws.ArgumentException.With.Message.Contains("overlaps"));
    }

    /// <summary>Runs c = α·op(a)·op(b) + β·c on random tensors and checks it against <see cref="GemmReference"/>.</summary>
    private void Check(int[] cDims, int[] aDims, int[] bDims, bool transA, bool transB, DType bType, float alpha, float beta)
    {
        var rng = new Random(cDims.Sum() + aDims.Sum() + bDims.Sum());
        var (cShape, aShape, bShape) = (new Shape(cDims), new Shape(aDims), new Shape(bDims));
        var aValues = GemmReference.Random(rng, aShape.Numel);
        var bValues = GemmReference.Quantize(GemmReference.Random(rng, bShape.Numel), bType);
        var cValues = GemmReference.Random(rng, cShape.Numel);
        var (m, n) = ((int)cShape.Rows, cShape.Cols);
        var k = transA ? (int)aShape.Rows : aShape.Cols;
        var (expected, bound) = GemmReference.Multiply(transA, transB, m, n, k, alpha, aValues, aShape.Cols,
            bValues, bShape.Cols, beta, cValues, n);

        using var a = Upload(aShape, aValues, DType.F32);
        using var b = Upload(bShape, bValues, bType);
        using var c = Upload(cShape, cValues, DType.F32);
        _cpu.Matmul(c, a, b, transA, transB, alpha, beta);
        GemmReference.AssertClose(Download(c), n, expected, bound, m, n);
    }

    private Tensor Upload(Shape shape, float[] values, DType dtype)
    {
        var t = _cpu.Allocate(shape, dtype);
        _cpu.CopyFromHost(t, GemmReference.Encode(values, dtype));
        return t;
    }

    private float[] Download(Tensor t)
    {
        var values = new float[t.Numel];
        _cpu.CopyToHost(MemoryMarshal.AsBytes(values.AsSpan()), t);
        return values;
    }
}

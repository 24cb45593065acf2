using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu.Gemm;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

[TestFixture]
public class SgemmTests
{
    private const float Sentinel = 12345f;

    private static readonly int[] OddSizes = [1, 2, 3, 5, 7, 13, 17, 31, 33, 63, 65, 127, 129, 257];

    /// <summary>(M, N, K) mixes of the odd sizes: every size appears in each position, next to small and large ones.</summary>
    private static IEnumerable<TestCaseData> OddShapes()
    {
        for (var i = 0; i < OddSizes.Length; i++)
        {
            var (m, n, k) = (OddSizes[i], OddSizes[(i + 5) % OddSizes.Length], OddSizes[(i + 9) % OddSizes.Length]);
            foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
                yield return new TestCaseData(m, n, k, ta, tb).SetArgDisplayNames($"{m}x{n}x{k}", ta ? "At" : "A", tb ? "Bt" : "B");
        }
    }

    [TestCaseSource(nameof(OddShapes))]
    public void OddShapesMatchReference(int m, int n, int k, bool transA, bool transB) =>
        Check(m, n, k, transA, transB, DType.F32, 1f, 0f, pad: 0, threads: 2, seed: (m * 131) + (n * 7) + k);

    [TestCase(false, false)]
    [TestCase(false, true)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void LargerShapeMatchesReference(bool transA, bool transB) =>
        Check(300, 517, 259, transA, transB, DType.F32, 1f, 0f, pad: 0, threads: 2, seed: 7);

    /// <summary>
    /// Several K blocks (Accumulate; on the small-M row path, blocks of B rows), two packed-B groups, several NC column
    /// blocks and MC row blocks.
    /// </summary>
    [TestCase(150, 40, 1100, false, true)]
    [TestCase(20, 1100, 5, true, false)]
    [TestCase(17, 2100, 300, false, false)]
    [TestCase(9, 40, 1100, true, true)]
    [TestCase(7, 45, 600, false, false)]
    public void BlockBoundariesMatchReference(int m, int n, int k, bool transA, bool transB) =>
        Check(m, n, k, transA, transB, DType.F32, 1f, 0f, pad: 0, threads: 3, seed: 11);

    /// <summary>
    /// Row strides above the minimum, α/β variants (β·C folded into the first of several K blocks, too); the padding
    /// columns of C must stay untouched.
    /// </summary>
    [TestCase(37, 45, 29, false, false, 0.5f, 1f)]
    [TestCase(37, 45, 29, true, true, -1.5f, 0.25f)]
    [TestCase(37, 45, 29, false, true, 2f, -1f)]
    [TestCase(5, 45, 29, true, false, 1f, 1f)]
    [TestCase(5, 45, 29, false, true, 0.75f, -0.5f)]
    [TestCase(129, 33, 257, true, false, -1f, 2f)]
    [TestCase(37, 45, 800, true, false, 0.5f, 1f)]
    public void StridesAndScalarsMatchReference(int m, int n, int k, bool transA, bool transB, float alpha, float beta) =>
        Check(m, n, k, transA, transB, DType.F32, alpha, beta, pad: 3, threads: 2, seed: 23);

    [TestCase(DType.BF16, false, true)]
    [TestCase(DType.BF16, true, false)]
    [TestCase(DType.F16, false, true)]
    [TestCase(DType.F16, true, false)]
    public void HalfPrecisionBMatchesReference(DType bType, bool transA, bool transB)
    {
        foreach (var (m, n, k) in new[] { (65, 127, 33), (3, 129, 63), (7, 17, 257), (31, 13, 7) })
            Check(m, n, k, transA, transB, bType, 1f, 0f, pad: 2, threads: 2, seed: m + n + k);
    }

    /// <summary>β = 0 must not read C: a C full of NaN gives finite, correct results on both paths.</summary>
    [TestCase(33, 47, 19, false, true)]
    [TestCase(6, 47, 19, true, false)]
    [TestCase(6, 47, 19, false, true)]
    [TestCase(65, 7, 300, true, true)]
    public void BetaZeroIgnoresNaNInC(int m, int n, int k, bool transA, bool transB) =>
        Check(m, n, k, transA, transB, DType.BF16, 1.25f, 0f, pad: 1, threads: 2, seed: 5, cFill: float.NaN);

    /// <summary>The 12×32 AVX-512 kernel (software-emulated where the CPU lacks AVX-512) and the 6×16 one.</summary>
    [TestCase(SgemmKernel.Vector512, false, false)]
    [TestCase(SgemmKernel.Vector512, false, true)]
    [TestCase(SgemmKernel.Vector512, true, false)]
    [TestCase(SgemmKernel.Vector512, true, true)]
    [TestCase(SgemmKernel.Vector256, true, true)]
    public void EachKernelMatchesReference(SgemmKernel kernel, bool transA, bool transB)
    {
        Check(29, 45, 37, transA, transB, DType.F32, 1f, 0.5f, pad: 1, threads: 2, seed: 3, kernel: kernel);
        Check(40, 70, 200, transA, transB, DType.BF16, 1f, 0f, pad: 0, threads: 1, seed: 4, kernel: kernel);
    }

    /// <summary>Fixed partitioning of C and no split of K: bitwise the same result for any thread count.</summary>
    [TestCase(300, 517, 259, false, true, DType.BF16)]
    [TestCase(300, 517, 259, true, false, DType.F32)]
    [TestCase(8, 1500, 259, false, true, DType.BF16)]
    [TestCase(8, 1500, 259, true, false, DType.F16)]
    [TestCase(130, 2100, 40, false, false, DType.F32)]
    [TestCase(100, 700, 800, false, true, DType.BF16)]
    public void ResultIsBitwiseIndependentOfThreadCount(int m, int n, int k, bool transA, bool transB, DType bType)
    {
        var rng = new Random(99);
        var a = GemmReference.Random(rng, (long)m * k);
        var b = GemmReference.Random(rng, (long)k * n);
        var c0 = GemmReference.Random(rng, (long)m * n);
        var bBytes = GemmReference.Encode(b, bType);
        float[]? first = null;
        foreach (var threads in new[] { 1, 2, 3, 7 })
        {
            var c = (float[])c0.Clone();
            Sgemm.Multiply(transA, transB, m, n, k, 0.5f, a, transA ? m : k, bBytes, bType, transB ? k : n, 1f, c, n, threads);
            if (first is null) first = c;
            else Assert.That(c, Is.EqualTo(first).AsCollection, $"threads = {threads} differs from threads = 1");
        }
    }

    [Test]
    public void EmptyProductsScaleOrClearC()
    {
        var c = new[] { 1f, float.NaN, 3f, 4f };
        var a = new float[2];
        var b = new byte[24];
        Sgemm.Multiply(false, false, 2, 2, 0, 1f, a, 1, b, DType.F32, 2, 0f, c, 2, 2);
        Assert.That(c, Is.EqualTo(new[] { 0f, 0f, 0f, 0f }).AsCollection, "K = 0, β = 0 clears C");
        c[0] = 2f;
        c[3] = float.NaN;
        Sgemm.Multiply(true, true, 2, 2, 1, 0f, a, 2, b, DType.F32, 1, -2f, c, 2, 2);
        Assert.That(c[0], Is.EqualTo(-4f), "α = 0 gives β·C");
        Assert.That(c[3], Is.NaN, "α = 0 still scales C");
        Sgemm.Multiply(false, false, 0, 2, 3, 1f, a, 3, b, DType.F32, 2, 0f, c, 2, 2);
        Assert.That(c[0], Is.EqualTo(-4f), "M = 0 writes nothing");
    }

    [Test]
    public void RejectsBadStridesTypesAndShortSpans()
    {
        var x = new float[64];
        var y = new byte[256];
        Assert.That(() => Sgemm.Multiply(false, false, 4, 4, 4, 1f, x, 3, y, DType.F32, 4, 0f, x, 4, 1),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("lda=3"));
        Assert.That(() => Sgemm.Multiply(false, true, 4, 4, 5, 1f, x, 5, y, DType.F32, 4, 0f, x, 4, 1),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("ldb=4"));
        Assert.That(() => Sgemm.Multiply(false, false, 4, 4, 4, 1f, x, 4, y, DType.F32, 4, 0f, x, 3, 1),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("ldc=3"));
        Assert.That(() => Sgemm.Multiply(false, false, 4, 4, 4, 1f, x, 4, y, DType.I32, 4, 0f, x, 4, 1),
            Throws.ArgumentException.With.Message.Contains("I32"));
        Assert.That(() => Sgemm.Multiply(false, false, 4, 4, 4, 1f, x, 4, y, DType.F32, 4, 0f, x, 4, 0),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("threads=0"));
        Assert.That(() => Sgemm.Multiply(false, false, 4, 4, 17, 1f, x, 17, y, DType.F32, 4, 0f, x, 4, 1),
            Throws.ArgumentException.With.Message.Contains("A (4, 17)"));
        Assert.That(() => Sgemm.Multiply(false, false, 4, 4, 4, 1f, x, 4, y, DType.BF16, 80, 0f, x, 4, 1),
            Throws.ArgumentException.With.Message.Contains("B (4, 4)"));
    }

    /// <summary>
    /// Runs C = α·op(A)·op(B) + β·C with every row stride <paramref name="pad"/> above the minimum and checks it
    /// against <see cref="GemmReference"/>; C's padding columns hold a sentinel that must survive.
    /// </summary>
    private static void Check(int m, int n, int k, bool transA, bool transB, DType bType, float alpha, float beta,
        int pad, int threads, int seed, float cFill = 0f, SgemmKernel kernel = SgemmKernel.Auto)
    {
        var rng = new Random(seed);
        var lda = (transA ? m : k) + pad;
        var ldb = (transB ? k : n) + pad;
        var ldc = n + pad;
        var a = GemmReference.Random(rng, (long)(transA ? k : m) * lda);
        var b = GemmReference.Quantize(GemmReference.Random(rng, (long)(transB ? n : k) * ldb), bType);
        var c = GemmReference.Random(rng, (long)m * ldc);
        for (var i = 0; i < m; i++)
            for (var j = 0; j < ldc; j++)
                if (j >= n) c[(i * ldc) + j] = Sentinel;
                else if (float.IsNaN(cFill)) c[(i * ldc) + j] = cFill;
        var (expected, bound) = GemmReference.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

        var bBytes = GemmReference.Encode(b, bType);
        Sgemm.Multiply(transA, transB, m, n, k, alpha, a, lda, bBytes, bType, ldb, beta, c, ldc, threads, kernel);

        GemmReference.AssertClose(c, ldc, expected, bound, m, n);
        for (var i = 0; i < m; i++)
            for (var j = n; j < ldc; j++)
                Assert.That(c[(i * ldc) + j], Is.EqualTo(Sentinel), $"padding c[{i}, {j}] was written");
    }
}

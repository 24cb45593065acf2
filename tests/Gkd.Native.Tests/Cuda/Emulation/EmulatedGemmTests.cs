using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Tests.Cuda.Emulation;

/// <summary>The emulated device GEMM (CPU SGEMM over converted copies) against a double-precision reference.</summary>
[Category("KernelEmulation")]
public sealed class EmulatedGemmTests
{
    private EmulatedRuntime _runtime = null!;

    [OneTimeSetUp]
    public void Create() => _runtime = new EmulatedRuntime();

    [OneTimeTearDown]
    public void Dispose() => _runtime.Dispose();

    [Test]
    public void MatchesDoubleReference([Values] bool transA, [Values] bool transB,
        [Values(DType.F32, DType.BF16)] DType inputType, [Values] bool f32Output)
    {
        var cType = f32Output ? DType.F32 : inputType;
        var seed = (transA ? 1 : 0) + (transB ? 2 : 0) + 4 * (int)inputType + 64 * (int)cType;
        Check(new Random(seed), transA, transB, 13, 7, 29, inputType, inputType, cType, alpha: 0.75f, beta: 0.5f);
    }

    [TestCase(DType.F32, DType.BF16, DType.F32)]
    [TestCase(DType.BF16, DType.F32, DType.F32)]
    [TestCase(DType.F32, DType.F32, DType.BF16)]
    public void RefusesWhatCublasRefuses(DType aType, DType bType, DType cType)
    {
        var ex = Assert.Throws<ArgumentException>(() => _runtime.Gemm.Gemm(false, false, 1, 1, 1, 1f, DevicePtr.Null, aType, 1, DevicePtr.Null, bType, 1, 0f, DevicePtr.Null, cType, 1));
        Assert.That(ex!.Message, Does.Contain("one dtype"));
    }

    [TestCase(1, 1, 1)]
    [TestCase(33, 65, 17)]
    [TestCase(5, 3, 0)]
    public void OddSizes(int m, int n, int k)
    {
        Check(new Random(m * 1000 + n * 10 + k), true, false, m, n, k, DType.BF16, DType.BF16, DType.F32, alpha: 1f, beta: 1f);
        Check(new Random(m + n + k), false, true, m, n, k, DType.BF16, DType.BF16, DType.BF16, alpha: -2f, beta: 0.25f);
    }

    [Test]
    public void BetaZero_NeverReadsC()
    {
        // c starts as NaN (a fresh emulated allocation is 0xFF bytes); beta = 0 must overwrite it, not scale it.
        Check(new Random(7), false, false, 9, 11, 5, DType.BF16, DType.BF16, DType.F32, alpha: 1f, beta: 0f, poisonC: true);
        Check(new Random(8), true, true, 9, 11, 5, DType.F32, DType.F32, DType.F32, alpha: 1f, beta: 0f, poisonC: true);
    }

    private void Check(Random rng, bool transA, bool transB, int m, int n, int k, DType aType, DType bType, DType cType,
        float alpha, float beta, bool poisonC = false)
    {
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + 3, ldb = bCols + 1, ldc = n + 2;
        var a = RandomMatrix(rng, aRows, lda, aType);
        var b = RandomMatrix(rng, bRows, ldb, bType);
        var c = RandomMatrix(rng, m, ldc, cType);
        var aPtr = Upload(a, aType);
        var bPtr = Upload(b, bType);
        var cPtr = poisonC ? _runtime.Allocate((long)m * ldc * cType.Size()) : Upload(c, cType);

        _runtime.Gemm.Gemm(transA, transB, m, n, k, alpha, aPtr, aType, lda, bPtr, bType, ldb, beta, cPtr, cType, ldc);

        var actual = Download(cPtr, m * ldc, cType);
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (var p = 0; p < k; p++)
                {
                    double av = transA ? a[p * lda + i] : a[i * lda + p], bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                    magnitude += Math.Abs(av * bv);
                }
                var expected = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j]);
                // f32 accumulation over k terms, then bf16 output rounding (half an ulp: 2^-8 relative).
                var tolerance = 4.0 * (k + 2) * Math.Pow(2, -24) * (Math.Abs(alpha) * magnitude + Math.Abs(beta * c[i * ldc + j]))
                    + (cType == DType.BF16 ? Math.Pow(2, -8) * Math.Abs(expected) : 0) + 1e-30;
                Assert.That(actual[i * ldc + j], Is.EqualTo(expected).Within(tolerance),
                    $"c[{i}, {j}] ({aType}{(transA ? "ᵀ" : "")} × {bType}{(transB ? "ᵀ" : "")} → {cType})");
            }
        if (!poisonC)
            for (var i = 0; i < m; i++)
                for (var j = n; j < ldc; j++)
                    Assert.That(actual[i * ldc + j], Is.EqualTo(c[i * ldc + j]), $"padding c[{i}, {j}] must stay untouched");
    }

    // Values in [-1, 1), already representable in the dtype, so the reference sees exactly what the device sees.
    private static float[] RandomMatrix(Random rng, int rows, int ld, DType type) =>
        Enumerable.Range(0, rows * ld).Select(_ =>
        {
            var v = (float)(rng.NextDouble() * 2 - 1);
            return type == DType.BF16 ? BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(v)) : v;
        }).ToArray();

    private DevicePtr Upload(float[] values, DType type) => type == DType.BF16
        ? _runtime.Upload(values.Select(BFloat16Bits.FromSingle).ToArray())
        : _runtime.Upload(values);

    private float[] Download(DevicePtr ptr, int count, DType type) => type == DType.BF16
        ? _runtime.Download<ushort>(ptr, count).Select(BFloat16Bits.ToSingle).ToArray()
        : _runtime.Download<float>(ptr, count);
}

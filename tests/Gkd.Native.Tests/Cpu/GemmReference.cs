using Gkd.Native.Core.Tensors;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

/// <summary>
/// A naive double-precision GEMM to test against, and the tolerance it implies. f32 accumulation over K terms has
/// a worst-case error of about K·2⁻²⁴·Σ|a·b| and a typical (random-walk) one of √K·2⁻²⁴·Σ|a·b|, i.e. ≤ 1e-6 of
/// Σ|a·b| for the K ≤ 1100 used here; α·acc and the β fma add a few more roundings of the result's magnitude. So
/// each element must be within <see cref="RelTol"/> · (|α|·Σ_p |a·b| + |β·c|) of the exact value: rounding passes
/// with room to spare, while any dropped, doubled or misplaced term (≈ Σ|a·b| / K ≫ 1e-5·Σ|a·b|) fails.
/// </summary>
internal static class GemmReference
{
    public const double RelTol = 1e-5;

    /// <summary>Values as f32 after a round trip through the stored dtype (what the GEMM sees).</summary>
    public static float[] Quantize(float[] values, DType dtype) => dtype switch
    {
        DType.F32 => values,
        DType.BF16 => [.. values.Select(v => BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(v)))],
        DType.F16 => [.. values.Select(v => (float)(Half)v)],
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Raw bytes of values in the stored dtype.</summary>
    public static byte[] Encode(float[] values, DType dtype) => dtype switch
    {
        DType.F32 => [.. values.SelectMany(BitConverter.GetBytes)],
        DType.BF16 => [.. values.SelectMany(v => BitConverter.GetBytes(BFloat16Bits.FromSingle(v)))],
        DType.F16 => [.. values.SelectMany(v => BitConverter.GetBytes((Half)v))],
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    public static float[] Random(Random rng, long count) =>
        [.. Enumerable.Range(0, checked((int)count)).Select(_ => (rng.NextSingle() * 2) - 1)];

    /// <summary>
    /// expected (M, N) = α · op(A) · op(B) + β · C (β = 0 ignores C), and bound (M, N) = |α|·Σ_p |op(A)·op(B)| + |β·C|,
    /// with A (M, K) row stride lda or (K, M) when transA, B (K, N) row stride ldb or (N, K) when transB.
    /// </summary>
    public static (double[] Expected, double[] Bound) Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        // op(A) rows and op(B) columns, both contiguous along K.
        var rows = new double[m * k];
        var cols = new double[n * k];
        for (var p = 0; p < k; p++)
        {
            for (var i = 0; i < m; i++) rows[(i * k) + p] = transA ? a[(p * lda) + i] : a[(i * lda) + p];
            for (var j = 0; j < n; j++) cols[(j * k) + p] = transB ? b[(j * ldb) + p] : b[(p * ldb) + j];
        }
        var expected = new double[m * n];
        var bound = new double[m * n];
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                var x = rows.AsSpan(i * k, k);
                var y = cols.AsSpan(j * k, k);
                double sum = 0, abs = 0;
                for (var p = 0; p < x.Length; p++)
                {
                    var xy = x[p] * y[p];
                    sum += xy;
                    abs += Math.Abs(xy);
                }
                var old = beta == 0f ? 0.0 : (double)beta * c[(i * ldc) + j];
                expected[(i * n) + j] = (alpha * sum) + old;
                bound[(i * n) + j] = (Math.Abs(alpha) * abs) + Math.Abs(old);
            }
        return (expected, bound);
    }

    /// <summary>Asserts c (M, N; row stride ldc) is within tolerance of expected, naming the worst element.</summary>
    public static void AssertClose(float[] c, int ldc, double[] expected, double[] bound, int m, int n)
    {
        var worst = 0.0;
        var where = "";
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                var got = c[(i * ldc) + j];
                var err = Math.Abs(got - expected[(i * n) + j]);
                var ratio = double.IsFinite(err) ? err / Math.Max(bound[(i * n) + j], 1e-30) : double.PositiveInfinity;
                if (!(ratio <= worst)) (worst, where) = (ratio, $"c[{i}, {j}] = {got}, expected {expected[(i * n) + j]}");
            }
        Assert.That(worst, Is.LessThanOrEqualTo(RelTol), $"worst error / (Σ|a·b| bound) at {where}");
    }
}

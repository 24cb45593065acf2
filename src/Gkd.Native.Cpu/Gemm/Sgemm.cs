using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu.Gemm;

/// <summary>Single-precision GEMM, row-major. TEMPORARY naive loop until the packed micro-kernel lands.</summary>
public static unsafe class Sgemm
{
    /// <summary>
    /// C (M, N; row stride ldc) = alpha · op(A) · op(B) + beta · C. A is f32, (M, K) with row stride lda, or (K, M)
    /// when transA. B is (K, N) with row stride ldb, or (N, K) when transB, stored as bType ∈ {F32, BF16, F16}.
    /// beta = 0 never reads C. Deterministic: the result does not depend on <paramref name="threads"/>.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, void* b, DType bType, int ldb, float beta, float* c, int ldc, int threads)
    {
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                var acc = 0f;
                for (var p = 0; p < k; p++)
                {
                    var av = transA ? a[(long)p * lda + i] : a[(long)i * lda + p];
                    var bi = transB ? (long)j * ldb + p : (long)p * ldb + j;
                    var bv = bType switch
                    {
                        DType.F32 => ((float*)b)[bi],
                        DType.BF16 => BFloat16Bits.ToSingle(((ushort*)b)[bi]),
                        _ => (float)((Half*)b)[bi],
                    };
                    acc += av * bv;
                }
                var r = alpha * acc;
                c[(long)i * ldc + j] = beta == 0f ? r : r + beta * c[(long)i * ldc + j];
            }
    }
}

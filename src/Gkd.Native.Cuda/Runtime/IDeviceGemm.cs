using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// Matrix products on runtime memory, row-major like the CPU SGEMM: c (M, N) = alpha · op(a) · op(b) + beta · c,
/// a (M, K) or (K, M) when transA, b (K, N) or (N, K) when transB; a and b share one dtype (bf16 or f32), c has that
/// dtype or f32, accumulation is f32. On the GPU this is cuBLAS GemmEx (row-major mapped onto column-major by swapping
/// the operands); under emulation it is the CPU SGEMM over converted copies.
/// </summary>
public interface IDeviceGemm
{
    void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        DevicePtr a, DType aType, int lda, DevicePtr b, DType bType, int ldb,
        float beta, DevicePtr c, DType cType, int ldc);
}

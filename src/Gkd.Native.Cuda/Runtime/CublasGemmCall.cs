using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// The arguments of one column-major cublasGemmEx call, as <see cref="FromRowMajor"/> derives them from a row-major
/// product. A row-major matrix with leading dimension ld is, read column-major, its transpose with the same ld; so
/// row-major c (M, N) = op(a) · op(b) is computed as column-major cᵀ (N, M) = op(b)ᵀ · op(a)ᵀ: cuBLAS's first operand
/// is our b, its second our a, its m our N and its n our M; the transpose flags and leading dimensions carry over
/// unchanged.
/// </summary>
public readonly record struct CublasGemmCall(
    CublasOperation TransA, CublasOperation TransB, int M, int N, int K,
    DevicePtr A, CudaDataType AType, int Lda,
    DevicePtr B, CudaDataType BType, int Ldb,
    DevicePtr C, CudaDataType CType, int Ldc)
{
    /// <summary>
    /// Maps <see cref="IDeviceGemm.Gemm"/>'s row-major arguments; throws <see cref="ArgumentException"/> for negative
    /// sizes, leading dimensions shorter than a row, or dtype combinations GemmEx with f32 compute does not support
    /// (a and b must share a dtype; c is that dtype or f32).
    /// </summary>
    public static CublasGemmCall FromRowMajor(bool transA, bool transB, int m, int n, int k,
        DevicePtr a, DType aType, int lda, DevicePtr b, DType bType, int ldb, DevicePtr c, DType cType, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        RequireRow(nameof(lda), lda, transA ? m : k);
        RequireRow(nameof(ldb), ldb, transB ? k : n);
        RequireRow(nameof(ldc), ldc, n);
        CheckTypes(aType, bType, cType);
        return new CublasGemmCall(
            transB ? CublasOperation.T : CublasOperation.N, transA ? CublasOperation.T : CublasOperation.N, n, m, k,
            b, DataType(bType), ldb, a, DataType(aType), lda, c, DataType(cType), ldc);
    }

    /// <summary>The dtype combinations GemmEx with f32 compute supports: a and b share a dtype; c is that dtype or F32.</summary>
    public static void CheckTypes(DType aType, DType bType, DType cType)
    {
        if (aType != bType || (cType != aType && cType != DType.F32))
            throw new ArgumentException(
                $"cuBLAS GemmEx multiplies a and b of one dtype into c of that dtype or F32; got a {aType}, b {bType}, c {cType}");
    }

    public static CudaDataType DataType(DType dtype) => dtype switch
    {
        DType.F32 => CudaDataType.R32F,
        DType.BF16 => CudaDataType.R16BF,
        DType.F16 => CudaDataType.R16F,
        _ => throw new ArgumentException($"cuBLAS GEMM takes floating dtypes, not {dtype}", nameof(dtype)),
    };

    private static void RequireRow(string name, int ld, int rowLength)
    {
        if (ld < Math.Max(1, rowLength))
            throw new ArgumentOutOfRangeException(name, ld, $"{name} must be at least the row length {Math.Max(1, rowLength)}");
    }
}

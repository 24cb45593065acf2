namespace Gkd.Native.Cuda.Interop;

/// <summary>A cuBLAS handle (cublasCreate … cublasDestroy), bound to the context current at creation.</summary>
public sealed class CublasHandle : ContextBoundHandle
{
    private CublasHandle(PrimaryContextHandle context, nint handle) : base(context, handle) { }

    /// <summary>Creates a handle; <paramref name="context"/> must be current on this thread.</summary>
    public static CublasHandle Create(PrimaryContextHandle context)
    {
        Cublas.Check(Cublas.cublasCreate(out var handle));
        return new CublasHandle(context, handle);
    }

    protected override CuResult Destroy(nint value) =>
        Cublas.cublasDestroy(value) == CublasStatus.CUBLAS_STATUS_SUCCESS ? CuResult.CUDA_SUCCESS : CuResult.CUDA_ERROR_UNKNOWN;
}

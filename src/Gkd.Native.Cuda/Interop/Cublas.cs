using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gkd.Native.Cuda.Interop;

/// <summary>
/// cuBLAS (libcublas.so.13 / .12), v2 API. Methods carry cublas_v2.h's names; <c>EntryPoint</c> binds the exported
/// _v2 symbols. Device pointers are passed as nint, alpha/beta as host pointers (the default pointer mode).
/// </summary>
public static unsafe partial class Cublas
{
    public const string Library = "libcublas";

    static Cublas() => LibraryResolver.Register();

    [LibraryImport(Library, EntryPoint = "cublasCreate_v2")] public static partial CublasStatus cublasCreate(out nint handle);
    [LibraryImport(Library, EntryPoint = "cublasDestroy_v2")] public static partial CublasStatus cublasDestroy(nint handle);
    [LibraryImport(Library, EntryPoint = "cublasSetStream_v2")] public static partial CublasStatus cublasSetStream(nint handle, nint stream);
    [LibraryImport(Library, EntryPoint = "cublasSetWorkspace_v2")] public static partial CublasStatus cublasSetWorkspace(nint handle, nint workspace, nuint bytes);
    [LibraryImport(Library)] public static partial CublasStatus cublasSetMathMode(nint handle, CublasMath mode);
    [LibraryImport(Library)] public static partial CublasStatus cublasGetProperty(LibraryProperty type, out int value);
    [LibraryImport(Library)] public static partial byte* cublasGetStatusName(CublasStatus status);
    [LibraryImport(Library)] public static partial byte* cublasGetStatusString(CublasStatus status);

    [LibraryImport(Library)]
    public static partial CublasStatus cublasGemmEx(nint handle, CublasOperation transa, CublasOperation transb,
        int m, int n, int k, void* alpha,
        nint a, CudaDataType aType, int lda,
        nint b, CudaDataType bType, int ldb, void* beta,
        nint c, CudaDataType cType, int ldc,
        CublasComputeType computeType, CublasGemmAlgo algo);

    [LibraryImport(Library)]
    public static partial CublasStatus cublasGemmStridedBatchedEx(nint handle, CublasOperation transa, CublasOperation transb,
        int m, int n, int k, void* alpha,
        nint a, CudaDataType aType, int lda, long strideA,
        nint b, CudaDataType bType, int ldb, long strideB, void* beta,
        nint c, CudaDataType cType, int ldc, long strideC,
        int batchCount, CublasComputeType computeType, CublasGemmAlgo algo);

    /// <summary>Throws <see cref="CudaException"/> unless <paramref name="status"/> is CUBLAS_STATUS_SUCCESS.</summary>
    public static void Check(CublasStatus status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != CublasStatus.CUBLAS_STATUS_SUCCESS) throw Failure(status, call);
    }

    public static CudaException Failure(CublasStatus status, string call, string? context = null) =>
        new(CudaException.CallName(call), (int)status, StatusName(status), Description(status), context);

    public static string StatusName(CublasStatus status)
    {
        if (Enum.IsDefined(status)) return status.ToString();
        return LibraryText(&cublasGetStatusName, status) ?? $"cublasStatus_t {(int)status}";
    }

    /// <summary>cuBLAS's sentence for a status, when the library is loaded.</summary>
    public static string? Description(CublasStatus status) => LibraryText(&cublasGetStatusString, status);

    private static string? LibraryText(delegate*<CublasStatus, byte*> text, CublasStatus status) =>
        LibraryResolver.Shared.IsLoaded(CudaLibrary.Cublas) ? Marshal.PtrToStringUTF8((nint)text(status)) : null;
}

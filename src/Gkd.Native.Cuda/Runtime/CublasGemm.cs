using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// <see cref="IDeviceGemm"/> on cuBLAS: cublasGemmEx with f32 compute (CUBLAS_COMPUTE_32F, tensor cores for bf16/f16
/// inputs, true f32 for f32 inputs), the heuristic algorithm, on the runtime's stream with a workspace of its own
/// (so that the call stays capturable into a CUDA graph).
/// </summary>
public sealed unsafe class CublasGemm : IDeviceGemm, IDisposable
{
    private readonly CudaDriverRuntime _runtime;
    private readonly CublasHandle _handle;
    private readonly DeviceMemoryHandle _workspace;

    internal CublasGemm(CudaDriverRuntime runtime, PrimaryContextHandle context, nint stream, int computeCapability)
    {
        _runtime = runtime;
        _handle = CublasHandle.Create(context);
        try
        {
            var handle = _handle.DangerousGetHandle();
            // cublasSetStream resets the workspace to cuBLAS's pool, so the stream is set first.
            Cublas.Check(Cublas.cublasSetStream(handle, stream));
            var bytes = WorkspaceBytes(computeCapability);
            CudaDriver.Check(CudaDriver.cuMemAlloc(out var address, (nuint)bytes));
            _workspace = new DeviceMemoryHandle(context, address, bytes);
            Cublas.Check(Cublas.cublasSetWorkspace(handle, (nint)_workspace.Address, (nuint)bytes));
            Cublas.Check(Cublas.cublasSetMathMode(handle, CublasMath.Default));
        }
        catch
        {
            _workspace?.Dispose();
            _handle.Dispose();
            throw;
        }
    }

    /// <summary>cuBLAS's recommended user workspace: 32 MiB on Hopper and newer, 4 MiB before.</summary>
    public static long WorkspaceBytes(int computeCapability) => computeCapability >= 90 ? 32L << 20 : 4L << 20;

    /// <summary>cuBLAS's version (cublasGetProperty), e.g. 13.1.0.</summary>
    public static Version LibraryVersion()
    {
        Cublas.Check(Cublas.cublasGetProperty(LibraryProperty.MajorVersion, out var major));
        Cublas.Check(Cublas.cublasGetProperty(LibraryProperty.MinorVersion, out var minor));
        Cublas.Check(Cublas.cublasGetProperty(LibraryProperty.PatchLevel, out var patch));
        return new Version(major, minor, patch);
    }

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        DevicePtr a, DType aType, int lda, DevicePtr b, DType bType, int ldb,
        float beta, DevicePtr c, DType cType, int ldc)
    {
        var call = CublasGemmCall.FromRowMajor(transA, transB, m, n, k, a, aType, lda, b, bType, ldb, c, cType, ldc);
        _runtime.EnsureCurrent();
        _runtime.NoteGemm(call);
        var status = Cublas.cublasGemmEx(_handle.DangerousGetHandle(), call.TransA, call.TransB, call.M, call.N, call.K,
            &alpha, (nint)call.A.Address, call.AType, call.Lda, (nint)call.B.Address, call.BType, call.Ldb,
            &beta, (nint)call.C.Address, call.CType, call.Ldc, CublasComputeType.Compute32F, CublasGemmAlgo.Default);
        if (status != CublasStatus.CUBLAS_STATUS_SUCCESS)
            throw Cublas.Failure(status, "cublasGemmEx",
                $"row-major c ({m}, {n}) {cType} = {(transA ? "aᵀ" : "a")} {aType} · {(transB ? "bᵀ" : "b")} {bType}, k {k}");
    }

    public void Dispose()
    {
        _handle.Dispose();
        _workspace.Dispose();
    }
}

using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Tests.Cuda.Interop;

public class StatusMessageTests
{
    [Test]
    public void A_failure_names_the_call_the_status_and_its_description()
    {
        Assert.Multiple(() =>
        {
            Assert.That(CudaException.Format("cuModuleLoadData", "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"),
                Is.EqualTo("cuModuleLoadData failed: CUDA_ERROR_INVALID_PTX (a PTX JIT compilation failed)"));
            Assert.That(CudaException.Format("nvrtcCompileProgram", "NVRTC_ERROR_INVALID_OPTION", null),
                Is.EqualTo("nvrtcCompileProgram failed: NVRTC_ERROR_INVALID_OPTION"));
            Assert.That(CudaException.Format("cuLaunchKernel", "CUDA_ERROR_INVALID_VALUE", "invalid argument", "launching rope.rope_forward"),
                Is.EqualTo("cuLaunchKernel failed: CUDA_ERROR_INVALID_VALUE (invalid argument) — launching rope.rope_forward"));
        });
    }

    [Test]
    public void The_call_name_is_taken_from_the_captured_call_expression()
    {
        Assert.Multiple(() =>
        {
            Assert.That(CudaException.CallName("CudaDriver.cuMemAlloc(out var ptr, (nuint)bytes)"), Is.EqualTo("cuMemAlloc"));
            Assert.That(CudaException.CallName("Nvrtc.nvrtcGetPTX(program, p)"), Is.EqualTo("nvrtcGetPTX"));
            Assert.That(CudaException.CallName("cuInit(0)"), Is.EqualTo("cuInit"));
            Assert.That(CudaException.CallName("cuStreamSynchronize"), Is.EqualTo("cuStreamSynchronize"));
        });
    }

    [Test]
    public void Check_throws_with_the_status_name_and_code()
    {
        var error = Assert.Throws<CudaException>(() => CudaDriver.Check(CuResult.CUDA_ERROR_INVALID_PTX, "CudaDriver.cuModuleLoadDataEx(out m, p, 0, null, null)"))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.StartWith("cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_PTX"));
            Assert.That(error.Call, Is.EqualTo("cuModuleLoadDataEx"));
            Assert.That(error.Status, Is.EqualTo(218));
            Assert.That(error.StatusName, Is.EqualTo("CUDA_ERROR_INVALID_PTX"));
        });
        Assert.DoesNotThrow(() => CudaDriver.Check(CuResult.CUDA_SUCCESS));
    }

    [Test]
    public void Each_library_names_its_own_statuses_and_numbers_unknown_ones()
    {
        Assert.Multiple(() =>
        {
            Assert.That(CudaDriver.StatusName(CuResult.CUDA_ERROR_ILLEGAL_ADDRESS), Is.EqualTo("CUDA_ERROR_ILLEGAL_ADDRESS"));
            Assert.That(Nvrtc.StatusName(NvrtcResult.NVRTC_ERROR_COMPILATION), Is.EqualTo("NVRTC_ERROR_COMPILATION"));
            Assert.That(Cublas.StatusName(CublasStatus.CUBLAS_STATUS_NOT_SUPPORTED), Is.EqualTo("CUBLAS_STATUS_NOT_SUPPORTED"));
            Assert.That(Nvrtc.Failure(NvrtcResult.NVRTC_ERROR_INVALID_OPTION, "nvrtcCompileProgram").Message,
                Is.EqualTo("nvrtcCompileProgram failed: NVRTC_ERROR_INVALID_OPTION"));
            Assert.That(Cublas.Failure(CublasStatus.CUBLAS_STATUS_INVALID_VALUE, "cublasGemmEx", "row-major c (3, 4)").Message,
                Does.StartWith("cublasGemmEx failed: CUBLAS_STATUS_INVALID_VALUE").And.EndWith("— row-major c (3, 4)"));
        });
        if (LibraryResolver.Shared.IsLoaded(CudaLibrary.Driver)) return; // a real driver names every code itself
        Assert.Multiple(() =>
        {
            Assert.That(CudaDriver.StatusName((CuResult)4242), Is.EqualTo("CUresult 4242"));
            Assert.That(CudaDriver.Description(CuResult.CUDA_ERROR_INVALID_PTX), Is.Null, "no driver, no description");
        });
    }

    [Test]
    public void Status_codes_match_the_c_headers()
    {
        Assert.Multiple(() =>
        {
            Assert.That((int)CuResult.CUDA_ERROR_INVALID_VALUE, Is.EqualTo(1));
            Assert.That((int)CuResult.CUDA_ERROR_OUT_OF_MEMORY, Is.EqualTo(2));
            Assert.That((int)CuResult.CUDA_ERROR_STUB_LIBRARY, Is.EqualTo(34));
            Assert.That((int)CuResult.CUDA_ERROR_NO_DEVICE, Is.EqualTo(100));
            Assert.That((int)CuResult.CUDA_ERROR_INVALID_IMAGE, Is.EqualTo(200));
            Assert.That((int)CuResult.CUDA_ERROR_NO_BINARY_FOR_GPU, Is.EqualTo(209));
            Assert.That((int)CuResult.CUDA_ERROR_INVALID_PTX, Is.EqualTo(218));
            Assert.That((int)CuResult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION, Is.EqualTo(222));
            Assert.That((int)CuResult.CUDA_ERROR_NOT_FOUND, Is.EqualTo(500));
            Assert.That((int)CuResult.CUDA_ERROR_ILLEGAL_ADDRESS, Is.EqualTo(700));
            Assert.That((int)CuResult.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, Is.EqualTo(701));
            Assert.That((int)CuResult.CUDA_ERROR_LAUNCH_FAILED, Is.EqualTo(719));
            Assert.That((int)CuResult.CUDA_ERROR_SYSTEM_DRIVER_MISMATCH, Is.EqualTo(803));
            Assert.That((int)CuResult.CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, Is.EqualTo(901));
            Assert.That((int)CuResult.CUDA_ERROR_UNKNOWN, Is.EqualTo(999));
            Assert.That((int)NvrtcResult.NVRTC_ERROR_COMPILATION, Is.EqualTo(6));
            Assert.That((int)NvrtcResult.NVRTC_ERROR_INTERNAL_ERROR, Is.EqualTo(11));
            Assert.That((int)CublasStatus.CUBLAS_STATUS_ALLOC_FAILED, Is.EqualTo(3));
            Assert.That((int)CublasStatus.CUBLAS_STATUS_INVALID_VALUE, Is.EqualTo(7));
            Assert.That((int)CublasStatus.CUBLAS_STATUS_EXECUTION_FAILED, Is.EqualTo(13));
            Assert.That((int)CublasStatus.CUBLAS_STATUS_NOT_SUPPORTED, Is.EqualTo(15));
        });
    }
}

using System.Reflection;
using System.Runtime.InteropServices;
using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Tests.Cuda.Interop;

/// <summary>
/// The exported symbols each binding class binds, as cuda.h / nvrtc.h / cublas_v2.h map their names (cuMemAlloc →
/// cuMemAlloc_v2, cublasCreate → cublasCreate_v2, cuGraphInstantiate → cuGraphInstantiateWithFlags), and the
/// numbering of the enums passed to them.
/// </summary>
public class BindingTests
{
    private static SortedDictionary<string, string> Exports(Type bindings, string library)
    {
        var exports = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var method in bindings.GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            if (method.GetCustomAttribute<LibraryImportAttribute>() is not { } import) continue;
            Assert.That(import.LibraryName, Is.EqualTo(library), method.Name);
            exports[method.Name] = import.EntryPoint ?? method.Name;
        }
        return exports;
    }

    [Test]
    public void Driver_api_symbols()
    {
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["cuInit"] = "cuInit",
            ["cuDriverGetVersion"] = "cuDriverGetVersion",
            ["cuGetErrorName"] = "cuGetErrorName",
            ["cuGetErrorString"] = "cuGetErrorString",
            ["cuDeviceGetCount"] = "cuDeviceGetCount",
            ["cuDeviceGet"] = "cuDeviceGet",
            ["cuDeviceGetName"] = "cuDeviceGetName",
            ["cuDeviceGetAttribute"] = "cuDeviceGetAttribute",
            ["cuDeviceTotalMem"] = "cuDeviceTotalMem_v2",
            ["cuDevicePrimaryCtxRetain"] = "cuDevicePrimaryCtxRetain",
            ["cuDevicePrimaryCtxRelease"] = "cuDevicePrimaryCtxRelease_v2",
            ["cuCtxSetCurrent"] = "cuCtxSetCurrent",
            ["cuMemGetInfo"] = "cuMemGetInfo_v2",
            ["cuModuleLoadDataEx"] = "cuModuleLoadDataEx",
            ["cuModuleUnload"] = "cuModuleUnload",
            ["cuModuleGetFunction"] = "cuModuleGetFunction",
            ["cuFuncGetAttribute"] = "cuFuncGetAttribute",
            ["cuFuncSetAttribute"] = "cuFuncSetAttribute",
            ["cuLaunchKernel"] = "cuLaunchKernel",
            ["cuMemAlloc"] = "cuMemAlloc_v2",
            ["cuMemFree"] = "cuMemFree_v2",
            ["cuMemAllocAsync"] = "cuMemAllocAsync",
            ["cuMemFreeAsync"] = "cuMemFreeAsync",
            ["cuMemcpyHtoDAsync"] = "cuMemcpyHtoDAsync_v2",
            ["cuMemcpyDtoHAsync"] = "cuMemcpyDtoHAsync_v2",
            ["cuMemcpyDtoDAsync"] = "cuMemcpyDtoDAsync_v2",
            ["cuMemsetD8Async"] = "cuMemsetD8Async",
            ["cuMemsetD32Async"] = "cuMemsetD32Async",
            ["cuDeviceGetDefaultMemPool"] = "cuDeviceGetDefaultMemPool",
            ["cuMemPoolSetAttribute"] = "cuMemPoolSetAttribute",
            ["cuMemPoolGetAttribute"] = "cuMemPoolGetAttribute",
            ["cuStreamCreate"] = "cuStreamCreate",
            ["cuStreamDestroy"] = "cuStreamDestroy_v2",
            ["cuStreamSynchronize"] = "cuStreamSynchronize",
            ["cuEventCreate"] = "cuEventCreate",
            ["cuEventRecord"] = "cuEventRecord",
            ["cuEventSynchronize"] = "cuEventSynchronize",
            ["cuEventElapsedTime"] = "cuEventElapsedTime",
            ["cuEventDestroy"] = "cuEventDestroy_v2",
            ["cuStreamBeginCapture"] = "cuStreamBeginCapture_v2",
            ["cuStreamEndCapture"] = "cuStreamEndCapture",
            ["cuGraphInstantiate"] = "cuGraphInstantiateWithFlags",
            ["cuGraphLaunch"] = "cuGraphLaunch",
            ["cuGraphExecDestroy"] = "cuGraphExecDestroy",
            ["cuGraphDestroy"] = "cuGraphDestroy",
        };
        Assert.That(Exports(typeof(CudaDriver), "libcuda"), Is.EqualTo(expected));
    }

    [Test]
    public void Nvrtc_symbols()
    {
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["nvrtcVersion"] = "nvrtcVersion",
            ["nvrtcGetNumSupportedArchs"] = "nvrtcGetNumSupportedArchs",
            ["nvrtcGetSupportedArchs"] = "nvrtcGetSupportedArchs",
            ["nvrtcCreateProgram"] = "nvrtcCreateProgram",
            ["nvrtcDestroyProgram"] = "nvrtcDestroyProgram",
            ["nvrtcCompileProgram"] = "nvrtcCompileProgram",
            ["nvrtcGetProgramLogSize"] = "nvrtcGetProgramLogSize",
            ["nvrtcGetProgramLog"] = "nvrtcGetProgramLog",
            ["nvrtcGetPTXSize"] = "nvrtcGetPTXSize",
            ["nvrtcGetPTX"] = "nvrtcGetPTX",
            ["nvrtcGetCubinSize"] = "nvrtcGetCUBINSize",
            ["nvrtcGetCubin"] = "nvrtcGetCUBIN",
            ["nvrtcGetErrorString"] = "nvrtcGetErrorString",
        };
        Assert.That(Exports(typeof(Nvrtc), "libnvrtc"), Is.EqualTo(expected));
    }

    [Test]
    public void Cublas_symbols()
    {
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["cublasCreate"] = "cublasCreate_v2",
            ["cublasDestroy"] = "cublasDestroy_v2",
            ["cublasSetStream"] = "cublasSetStream_v2",
            ["cublasSetWorkspace"] = "cublasSetWorkspace_v2",
            ["cublasSetMathMode"] = "cublasSetMathMode",
            ["cublasGetProperty"] = "cublasGetProperty",
            ["cublasGetStatusName"] = "cublasGetStatusName",
            ["cublasGetStatusString"] = "cublasGetStatusString",
            ["cublasGemmEx"] = "cublasGemmEx",
            ["cublasGemmStridedBatchedEx"] = "cublasGemmStridedBatchedEx",
        };
        Assert.That(Exports(typeof(Cublas), "libcublas"), Is.EqualTo(expected));
    }

    [Test]
    public void Enum_values_match_the_c_headers()
    {
        Assert.Multiple(() =>
        {
            Assert.That((int)CuDeviceAttribute.MaxThreadsPerBlock, Is.EqualTo(1));
            Assert.That((int)CuDeviceAttribute.MaxSharedMemoryPerBlock, Is.EqualTo(8));
            Assert.That((int)CuDeviceAttribute.WarpSize, Is.EqualTo(10));
            Assert.That((int)CuDeviceAttribute.MultiprocessorCount, Is.EqualTo(16));
            Assert.That((int)CuDeviceAttribute.L2CacheSize, Is.EqualTo(38));
            Assert.That((int)CuDeviceAttribute.ComputeCapabilityMajor, Is.EqualTo(75));
            Assert.That((int)CuDeviceAttribute.ComputeCapabilityMinor, Is.EqualTo(76));
            Assert.That((int)CuDeviceAttribute.MaxSharedMemoryPerMultiprocessor, Is.EqualTo(81));
            Assert.That((int)CuDeviceAttribute.MaxSharedMemoryPerBlockOptin, Is.EqualTo(97));
            Assert.That((int)CuDeviceAttribute.MemoryPoolsSupported, Is.EqualTo(115));
            Assert.That((int)CuFunctionAttribute.NumRegs, Is.EqualTo(4));
            Assert.That((int)CuFunctionAttribute.MaxDynamicSharedSizeBytes, Is.EqualTo(8));
            Assert.That((int)CuJitOption.ErrorLogBuffer, Is.EqualTo(5));
            Assert.That((int)CuJitOption.ErrorLogBufferSizeBytes, Is.EqualTo(6));
            Assert.That((int)CuStreamCaptureMode.ThreadLocal, Is.EqualTo(1));
            Assert.That((int)CuMemPoolAttribute.ReleaseThreshold, Is.EqualTo(4));
            Assert.That((int)CuMemPoolAttribute.UsedMemHigh, Is.EqualTo(8));
            Assert.That(CuFlags.StreamNonBlocking, Is.EqualTo(1u));
            Assert.That((int)CudaDataType.R32F, Is.EqualTo(0));
            Assert.That((int)CudaDataType.R16F, Is.EqualTo(2));
            Assert.That((int)CudaDataType.R16BF, Is.EqualTo(14));
            Assert.That((int)CublasOperation.N, Is.EqualTo(0));
            Assert.That((int)CublasOperation.T, Is.EqualTo(1));
            Assert.That((int)CublasComputeType.Compute32F, Is.EqualTo(68));
            Assert.That((int)CublasComputeType.Compute32FFastTF32, Is.EqualTo(77));
            Assert.That((int)CublasGemmAlgo.Default, Is.EqualTo(-1));
            Assert.That((int)CublasMath.Default, Is.EqualTo(0));
            Assert.That((int)LibraryProperty.PatchLevel, Is.EqualTo(2));
        });
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gkd.Native.Cuda.Interop;

/// <summary>
/// The CUDA driver API (libcuda.so.1). Methods carry cuda.h's names; where cuda.h #defines a name to a versioned
/// symbol (cuMemAlloc → cuMemAlloc_v2), <c>EntryPoint</c> binds the exported symbol. CUdevice is an int,
/// CUdeviceptr a ulong, size_t a nuint, every other handle an nint (owned ones are wrapped in the SafeHandles of
/// DriverHandles.cs).
/// </summary>
public static unsafe partial class CudaDriver
{
    public const string Library = "libcuda";

    static CudaDriver() => LibraryResolver.Register();

    // Initialisation, versions, errors
    [LibraryImport(Library)] public static partial CuResult cuInit(uint flags);
    [LibraryImport(Library)] public static partial CuResult cuDriverGetVersion(out int version);
    [LibraryImport(Library)] public static partial CuResult cuGetErrorName(CuResult error, byte** name);
    [LibraryImport(Library)] public static partial CuResult cuGetErrorString(CuResult error, byte** description);

    // Devices
    [LibraryImport(Library)] public static partial CuResult cuDeviceGetCount(out int count);
    [LibraryImport(Library)] public static partial CuResult cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Library)] public static partial CuResult cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Library)] public static partial CuResult cuDeviceGetAttribute(out int value, CuDeviceAttribute attribute, int device);
    [LibraryImport(Library, EntryPoint = "cuDeviceTotalMem_v2")] public static partial CuResult cuDeviceTotalMem(out nuint bytes, int device);

    // Primary context
    [LibraryImport(Library)] public static partial CuResult cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Library, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial CuResult cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Library)] public static partial CuResult cuCtxSetCurrent(nint context);
    [LibraryImport(Library, EntryPoint = "cuMemGetInfo_v2")] public static partial CuResult cuMemGetInfo(out nuint free, out nuint total);

    // Modules and functions
    [LibraryImport(Library)] public static partial CuResult cuModuleLoadDataEx(out nint module, void* image, uint numOptions, CuJitOption* options, void** optionValues);
    [LibraryImport(Library)] public static partial CuResult cuModuleUnload(nint module);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial CuResult cuModuleGetFunction(out nint function, nint module, string name);
    [LibraryImport(Library)] public static partial CuResult cuFuncGetAttribute(out int value, CuFunctionAttribute attribute, nint function);
    [LibraryImport(Library)] public static partial CuResult cuFuncSetAttribute(nint function, CuFunctionAttribute attribute, int value);

    [LibraryImport(Library)]
    public static partial CuResult cuLaunchKernel(nint function, uint gridDimX, uint gridDimY, uint gridDimZ,
        uint blockDimX, uint blockDimY, uint blockDimZ, uint sharedMemBytes, nint stream, void** kernelParams, void** extra);

    // Memory
    [LibraryImport(Library, EntryPoint = "cuMemAlloc_v2")] public static partial CuResult cuMemAlloc(out ulong ptr, nuint bytes);
    [LibraryImport(Library, EntryPoint = "cuMemFree_v2")] public static partial CuResult cuMemFree(ulong ptr);
    [LibraryImport(Library)] public static partial CuResult cuMemAllocAsync(out ulong ptr, nuint bytes, nint stream);
    [LibraryImport(Library)] public static partial CuResult cuMemFreeAsync(ulong ptr, nint stream);
    [LibraryImport(Library, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial CuResult cuMemcpyHtoDAsync(ulong dst, void* src, nuint bytes, nint stream);
    [LibraryImport(Library, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial CuResult cuMemcpyDtoHAsync(void* dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(Library, EntryPoint = "cuMemcpyDtoDAsync_v2")] public static partial CuResult cuMemcpyDtoDAsync(ulong dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(Library)] public static partial CuResult cuMemsetD8Async(ulong dst, byte value, nuint count, nint stream);
    [LibraryImport(Library)] public static partial CuResult cuMemsetD32Async(ulong dst, uint value, nuint count, nint stream);

    // The device's default memory pool (where cuMemAllocAsync allocates)
    [LibraryImport(Library)] public static partial CuResult cuDeviceGetDefaultMemPool(out nint pool, int device);
    [LibraryImport(Library)] public static partial CuResult cuMemPoolSetAttribute(nint pool, CuMemPoolAttribute attribute, void* value);
    [LibraryImport(Library)] public static partial CuResult cuMemPoolGetAttribute(nint pool, CuMemPoolAttribute attribute, void* value);

    // Streams
    [LibraryImport(Library)] public static partial CuResult cuStreamCreate(out nint stream, uint flags);
    [LibraryImport(Library, EntryPoint = "cuStreamDestroy_v2")] public static partial CuResult cuStreamDestroy(nint stream);
    [LibraryImport(Library)] public static partial CuResult cuStreamSynchronize(nint stream);

    // Events. cuEventElapsedTime is the v1 symbol: every driver exports it (JetPack's lack the _v2 that 12.8 added).
    [LibraryImport(Library)] public static partial CuResult cuEventCreate(out nint @event, uint flags);
    [LibraryImport(Library)] public static partial CuResult cuEventRecord(nint @event, nint stream);
    [LibraryImport(Library)] public static partial CuResult cuEventSynchronize(nint @event);
    [LibraryImport(Library)] public static partial CuResult cuEventElapsedTime(out float milliseconds, nint start, nint end);
    [LibraryImport(Library, EntryPoint = "cuEventDestroy_v2")] public static partial CuResult cuEventDestroy(nint @event);

    // Graphs (stream capture)
    [LibraryImport(Library, EntryPoint = "cuStreamBeginCapture_v2")] public static partial CuResult cuStreamBeginCapture(nint stream, CuStreamCaptureMode mode);
    [LibraryImport(Library)] public static partial CuResult cuStreamEndCapture(nint stream, out nint graph);
    [LibraryImport(Library, EntryPoint = "cuGraphInstantiateWithFlags")] public static partial CuResult cuGraphInstantiate(out nint graphExec, nint graph, ulong flags);
    [LibraryImport(Library)] public static partial CuResult cuGraphLaunch(nint graphExec, nint stream);
    [LibraryImport(Library)] public static partial CuResult cuGraphExecDestroy(nint graphExec);
    [LibraryImport(Library)] public static partial CuResult cuGraphDestroy(nint graph);

    /// <summary>Throws <see cref="CudaException"/> unless <paramref name="status"/> is CUDA_SUCCESS.</summary>
    public static void Check(CuResult status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != CuResult.CUDA_SUCCESS) throw Failure(status, call);
    }

    /// <summary>The exception for a failed call; <paramref name="context"/> says what was being done.</summary>
    public static CudaException Failure(CuResult status, string call, string? context = null) =>
        new(CudaException.CallName(call), (int)status, StatusName(status), Description(status), context);

    /// <summary>The C name of a status: ours, else the loaded driver's, else "CUresult N".</summary>
    public static string StatusName(CuResult status)
    {
        if (Enum.IsDefined(status)) return status.ToString();
        return DriverText(status, describe: false) ?? $"CUresult {(int)status}";
    }

    /// <summary>The driver's sentence for a status (e.g. "an illegal memory access was encountered"), when loaded.</summary>
    public static string? Description(CuResult status) => DriverText(status, describe: true);

    private static string? DriverText(CuResult status, bool describe)
    {
        if (!LibraryResolver.Shared.IsLoaded(CudaLibrary.Driver)) return null;
        byte* text = null;
        var result = describe ? cuGetErrorString(status, &text) : cuGetErrorName(status, &text);
        return result == CuResult.CUDA_SUCCESS && text != null ? Marshal.PtrToStringUTF8((nint)text) : null;
    }
}

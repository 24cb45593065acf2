namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// Where the CUDA backend's kernels run: the GPU through the driver API (NVRTC-compiled modules, one stream), or the
/// CPU through the C++ emulation of the CUDA execution model (g++-compiled from the same kernel text). The launchers
/// drive both identically — same grid and block shapes, same dynamic shared memory, same argument packing — so a
/// kernel proven under emulation is the kernel that runs on the GPU.
/// </summary>
public unsafe interface IKernelRuntime : IDisposable
{
    /// <summary>e.g. "NVIDIA H100 80GB HBM3 (sm_90, driver 13.0, NVRTC 13.0)" or "CUDA emulation on the CPU".</summary>
    string Description { get; }

    /// <summary>The arch kernels are compiled for, e.g. 90 (sm_90); 80 under emulation.</summary>
    int ComputeCapability { get; }

    /// <summary>Most dynamic shared memory one block may use.</summary>
    int MaxSharedMemoryPerBlock { get; }

    int MultiprocessorCount { get; }

    DevicePtr Allocate(long bytes);
    void Free(DevicePtr ptr);

    void CopyToDevice(DevicePtr dst, ReadOnlySpan<byte> src);
    void CopyToHost(Span<byte> dst, DevicePtr src);
    void CopyDeviceToDevice(DevicePtr dst, DevicePtr src, long bytes);
    void Memset(DevicePtr dst, byte value, long bytes);

    /// <summary>Compiles (or takes from the disk cache) and loads a kernel file.</summary>
    IKernelModule LoadModule(KernelSource source);

    /// <summary>
    /// Queues a launch. <paramref name="args"/> points at one pointer per kernel parameter, each to that parameter's
    /// value — exactly cuLaunchKernel's kernelParams.
    /// </summary>
    void Launch(KernelFunction function, Dim3 grid, Dim3 block, int dynamicSharedBytes, void** args);

    /// <summary>Waits for all queued work; surfaces asynchronous kernel faults.</summary>
    void Synchronize();

    IDeviceGemm Gemm { get; }
}

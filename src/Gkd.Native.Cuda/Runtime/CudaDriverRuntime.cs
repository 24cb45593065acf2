using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// <see cref="IKernelRuntime"/> on the GPU through the CUDA driver API: device 0 (or $GKD_CUDA_DEVICE), its primary
/// context, one non-blocking stream that every copy, memset, launch and GEMM is queued on, stream-ordered allocation
/// (cuMemAllocAsync where the device has memory pools), NVRTC-compiled modules cached on disk, cuBLAS GEMMs. Only
/// <see cref="CopyToHost"/>, <see cref="Synchronize"/> and timing wait for the GPU. Meant for one thread at a time;
/// any thread may be that thread (the context is made current on entry).
/// </summary>
public sealed unsafe class CudaDriverRuntime : IKernelRuntime
{
    /// <summary>Dynamic shared memory a launch may use before the kernel's limit must be raised (cuFuncSetAttribute).</summary>
    private const int DefaultDynamicSharedLimit = 48 << 10;

    [ThreadStatic] private static CudaDriverRuntime? t_current;

    private readonly PrimaryContextHandle _context;
    private readonly StreamHandle _streamHandle;
    private readonly CublasGemm _gemm;
    private readonly NvrtcCompiler _compiler;
    private readonly KernelCache _cache;
    private readonly List<CudaModule> _modules = [];
    private readonly Dictionary<nint, int> _dynamicSharedLimits = [];
    private readonly nint _pool;
    private LastWork _last;
    private bool _disposed;

    private CudaDriverRuntime(DeviceInfo info, NvrtcCompiler compiler, NvrtcTarget target, KernelCache cache)
    {
        Info = info;
        Target = target;
        _compiler = compiler;
        _cache = cache;
        CudaDriver.Check(CudaDriver.cuDeviceGet(out var device, info.Ordinal));
        _context = PrimaryContextHandle.Retain(device);
        try
        {
            EnsureCurrent();
            CudaDriver.Check(CudaDriver.cuStreamCreate(out var stream, CuFlags.StreamNonBlocking));
            _streamHandle = new StreamHandle(_context, stream);
            Stream = stream;
            _gemm = new CublasGemm(this, _context, stream, info.ComputeCapability);
            if (info.MemoryPoolsSupported)
            {
                CudaDriver.Check(CudaDriver.cuDeviceGetDefaultMemPool(out _pool, device));
                // Keep freed blocks in the pool across synchronisations rather than returning them to the OS.
                SetPoolAttribute(CuMemPoolAttribute.ReleaseThreshold, ulong.MaxValue);
            }
        }
        catch
        {
            _gemm?.Dispose();
            _streamHandle?.Dispose();
            _context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts CUDA on device $GKD_CUDA_DEVICE (default 0). Throws <see cref="CudaUnavailableException"/> at once when
    /// the driver, NVRTC or cuBLAS cannot be loaded (listing every path tried), or when there is no usable GPU.
    /// </summary>
    public static CudaDriverRuntime Create()
    {
        var resolver = LibraryResolver.Shared;
        resolver.Load(CudaLibrary.Driver);
        var init = CudaDriver.cuInit(0);
        if (init != CuResult.CUDA_SUCCESS)
            throw new CudaUnavailableException(
                $"The CUDA driver ({resolver.LoadedFrom(CudaLibrary.Driver)}) is installed but does not start: "
                + $"{CudaDriver.Failure(init, "cuInit").Message}.{InitHint(init)}");
        CudaDriver.Check(CudaDriver.cuDeviceGetCount(out var count));
        var ordinal = SelectDevice(Environment.GetEnvironmentVariable("GKD_CUDA_DEVICE"), count);
        resolver.Load(CudaLibrary.Nvrtc);
        resolver.Load(CudaLibrary.Cublas);

        var compiler = new NvrtcCompiler();
        var info = DeviceInfo.Query(ordinal, compiler.Version, CublasGemm.LibraryVersion());
        var target = NvrtcTarget.Choose(info.ComputeCapability, compiler.SupportedArchitectures, compiler.Version);
        var cache = new KernelCache(KernelCache.DefaultDirectory(SearchEnvironment.Current));
        return new CudaDriverRuntime(info, compiler, target, cache);
    }

    /// <summary>The device ordinal $GKD_CUDA_DEVICE names (0 when unset), checked against <paramref name="count"/>.</summary>
    public static int SelectDevice(string? variable, int count)
    {
        if (count == 0)
            throw new CudaUnavailableException(
                "The CUDA driver sees no GPU (check nvidia-smi and CUDA_VISIBLE_DEVICES); use --device cpu.");
        if (string.IsNullOrWhiteSpace(variable)) return 0;
        if (int.TryParse(variable, out var ordinal) && ordinal >= 0 && ordinal < count) return ordinal;
        throw new CudaUnavailableException(
            $"GKD_CUDA_DEVICE={variable} names no device: this machine has {count} (ordinals 0 to {count - 1}).");
    }

    public DeviceInfo Info { get; }

    /// <summary>What NVRTC compiles for on this device (e.g. sm_90a).</summary>
    public NvrtcTarget Target { get; }

    public string KernelCacheDirectory => _cache.Directory;

    public string Description => $"{Info.Name} (sm_{Info.ComputeCapability}, driver {Info.DriverVersion}, NVRTC {Info.NvrtcVersion})";

    public int ComputeCapability => Info.ComputeCapability;

    public int MaxSharedMemoryPerBlock => Info.MaxSharedMemoryPerBlockOptin;

    public int MultiprocessorCount => Info.MultiprocessorCount;

    public IDeviceGemm Gemm => _gemm;

    /// <summary>The CUstream all work goes to.</summary>
    internal nint Stream { get; }

    public DevicePtr Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0) return DevicePtr.Null;
        EnsureCurrent();
        ulong address;
        var pooled = Info.MemoryPoolsSupported;
        var status = pooled
            ? CudaDriver.cuMemAllocAsync(out address, (nuint)bytes, Stream)
            : CudaDriver.cuMemAlloc(out address, (nuint)bytes);
        if (status != CuResult.CUDA_SUCCESS)
            throw CudaDriver.Failure(status, pooled ? "cuMemAllocAsync" : "cuMemAlloc", $"allocating {Bytes(bytes)}{MemoryNote()}");
        return new DevicePtr(address);
    }

    public void Free(DevicePtr ptr)
    {
        if (ptr.IsNull) return;
        EnsureCurrent();
        if (Info.MemoryPoolsSupported) CudaDriver.Check(CudaDriver.cuMemFreeAsync(ptr.Address, Stream));
        else CudaDriver.Check(CudaDriver.cuMemFree(ptr.Address));
    }

    /// <summary>
    /// Queues the copy; <paramref name="src"/> may be reused at once: from pageable host memory the driver stages the
    /// bytes before returning.
    /// </summary>
    public void CopyToDevice(DevicePtr dst, ReadOnlySpan<byte> src)
    {
        if (src.IsEmpty) return;
        EnsureCurrent();
        fixed (byte* p = src) CudaDriver.Check(CudaDriver.cuMemcpyHtoDAsync(dst.Address, p, (nuint)src.Length, Stream));
    }

    /// <summary>Copies after all queued work, and waits: asynchronous faults surface here.</summary>
    public void CopyToHost(Span<byte> dst, DevicePtr src)
    {
        if (dst.IsEmpty) return;
        EnsureCurrent();
        fixed (byte* p = dst) CudaDriver.Check(CudaDriver.cuMemcpyDtoHAsync(p, src.Address, (nuint)dst.Length, Stream));
        WaitForStream();
    }

    public void CopyDeviceToDevice(DevicePtr dst, DevicePtr src, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0) return;
        EnsureCurrent();
        CudaDriver.Check(CudaDriver.cuMemcpyDtoDAsync(dst.Address, src.Address, (nuint)bytes, Stream));
    }

    /// <summary>Byte fill; 32-bit words when address and length allow (the faster path for large buffers).</summary>
    public void Memset(DevicePtr dst, byte value, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0) return;
        EnsureCurrent();
        if (dst.Address % 4 == 0 && bytes % 4 == 0)
            CudaDriver.Check(CudaDriver.cuMemsetD32Async(dst.Address, value * 0x01010101u, (nuint)(bytes / 4), Stream));
        else
            CudaDriver.Check(CudaDriver.cuMemsetD8Async(dst.Address, value, (nuint)bytes, Stream));
    }

    /// <summary>
    /// Compiles (or takes from the disk cache) and loads a kernel file. A cached image the driver refuses is evicted
    /// and compiled afresh.
    /// </summary>
    public IKernelModule LoadModule(KernelSource source)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        EnsureCurrent();
        var options = Target.Options();
        var kind = Target.ImageKind;
        var path = _cache.PathFor(source.Name, KernelCache.Key(source.Hash, options, Target.Architecture, _compiler.Version), kind);
        if (KernelCache.TryRead(path, kind) is { } cached)
        {
            try
            {
                return Track(CudaModule.Load(this, _context, source.Name, cached));
            }
            catch (CudaException)
            {
                KernelCache.Evict(path);
            }
        }
        var image = _compiler.Compile(source, options, kind);
        KernelCache.Write(path, image);
        return Track(CudaModule.Load(this, _context, source.Name, image));
    }

    public void Launch(KernelFunction function, Dim3 grid, Dim3 block, int dynamicSharedBytes, void** args)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dynamicSharedBytes);
        EnsureCurrent();
        if (dynamicSharedBytes > DefaultDynamicSharedLimit) AllowDynamicShared(function, dynamicSharedBytes);
        _last = new LastWork(function, grid, block, dynamicSharedBytes, null);
        var status = CudaDriver.cuLaunchKernel(function.Handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z,
            (uint)dynamicSharedBytes, Stream, args, null);
        if (status != CuResult.CUDA_SUCCESS)
            throw new KernelLaunchException(function,
                CudaDriver.Failure(status, "cuLaunchKernel", $"grid {grid}, block {block}, {dynamicSharedBytes} B dynamic shared memory{Resources(function)}").Message);
    }

    /// <summary>Waits for all queued work; a fault in it is reported with the last work queued.</summary>
    public void Synchronize()
    {
        EnsureCurrent();
        WaitForStream();
    }

    /// <summary>Free and total device memory (cuMemGetInfo).</summary>
    public (long Free, long Total) MemoryInfo()
    {
        EnsureCurrent();
        CudaDriver.Check(CudaDriver.cuMemGetInfo(out var free, out var total));
        return ((long)free, (long)total);
    }

    /// <summary>
    /// The most device memory that stream-ordered allocations held at once since the start or the last
    /// <see cref="ResetPeakMemory"/>; null on a device without memory pools.
    /// </summary>
    public long? PeakAllocatedBytes()
    {
        if (_pool == 0) return null;
        EnsureCurrent();
        ulong value;
        CudaDriver.Check(CudaDriver.cuMemPoolGetAttribute(_pool, CuMemPoolAttribute.UsedMemHigh, &value));
        return (long)value;
    }

    public void ResetPeakMemory()
    {
        if (_pool == 0) return;
        EnsureCurrent();
        SetPoolAttribute(CuMemPoolAttribute.UsedMemHigh, 0);
    }

    /// <summary>GPU time of the work <paramref name="work"/> queues, between two events on the stream.</summary>
    public float ElapsedMilliseconds(Action work)
    {
        EnsureCurrent();
        using var start = CreateEvent();
        using var end = CreateEvent();
        CudaDriver.Check(CudaDriver.cuEventRecord(start.DangerousGetHandle(), Stream));
        work();
        CudaDriver.Check(CudaDriver.cuEventRecord(end.DangerousGetHandle(), Stream));
        var status = CudaDriver.cuEventSynchronize(end.DangerousGetHandle());
        if (status != CuResult.CUDA_SUCCESS) throw CudaDriver.Failure(status, "cuEventSynchronize", FaultContext());
        CudaDriver.Check(CudaDriver.cuEventElapsedTime(out var milliseconds, start.DangerousGetHandle(), end.DangerousGetHandle()));
        return milliseconds;
    }

    /// <summary>
    /// Records the work <paramref name="work"/> queues on the stream (nothing runs) into an instantiated graph.
    /// Host copies and synchronisation are not allowed inside.
    /// </summary>
    public CudaGraph Capture(Action work)
    {
        EnsureCurrent();
        CudaDriver.Check(CudaDriver.cuStreamBeginCapture(Stream, CuStreamCaptureMode.ThreadLocal));
        try
        {
            work();
        }
        catch
        {
            if (CudaDriver.cuStreamEndCapture(Stream, out var abandoned) == CuResult.CUDA_SUCCESS && abandoned != 0)
                CudaDriver.cuGraphDestroy(abandoned);
            throw;
        }
        CudaDriver.Check(CudaDriver.cuStreamEndCapture(Stream, out var captured));
        var graph = new GraphHandle(_context, captured);
        var status = CudaDriver.cuGraphInstantiate(out var exec, captured, 0);
        if (status != CuResult.CUDA_SUCCESS)
        {
            graph.Dispose();
            throw CudaDriver.Failure(status, "cuGraphInstantiate");
        }
        return new CudaGraph(this, graph, new GraphExecHandle(_context, exec));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            EnsureCurrent();
            CudaDriver.cuStreamSynchronize(Stream);
        }
        catch (CudaException)
        {
            // Best effort: a faulted context must still release what it holds.
        }
        _gemm.Dispose();
        foreach (var module in _modules) module.Dispose();
        _streamHandle.Dispose();
        _context.Dispose();
        if (t_current == this) t_current = null;
    }

    /// <summary>Makes this runtime's context current on the calling thread (once per thread).</summary>
    internal void EnsureCurrent()
    {
        if (t_current == this) return;
        CudaDriver.Check(CudaDriver.cuCtxSetCurrent(_context.DangerousGetHandle()));
        t_current = this;
    }

    internal void NoteGemm(in CublasGemmCall call) => _last = new LastWork(null, default, default, 0, call);

    internal void NoteGraphLaunch() => _last = new LastWork(null, default, default, -1, null);

    private CudaModule Track(CudaModule module)
    {
        _modules.Add(module);
        return module;
    }

    private void AllowDynamicShared(KernelFunction function, int bytes)
    {
        if (_dynamicSharedLimits.TryGetValue(function.Handle, out var allowed) && allowed >= bytes) return;
        var status = CudaDriver.cuFuncSetAttribute(function.Handle, CuFunctionAttribute.MaxDynamicSharedSizeBytes, bytes);
        if (status != CuResult.CUDA_SUCCESS)
            throw new KernelLaunchException(function, CudaDriver.Failure(status, "cuFuncSetAttribute",
                $"allowing {bytes} B of dynamic shared memory (this device allows {MaxSharedMemoryPerBlock} B per block, "
                + "static shared memory included)").Message);
        _dynamicSharedLimits[function.Handle] = bytes;
    }

    private void SetPoolAttribute(CuMemPoolAttribute attribute, ulong value) =>
        CudaDriver.Check(CudaDriver.cuMemPoolSetAttribute(_pool, attribute, &value));

    /// <summary>What a kernel needs per launch (for launch failures), as far as the driver tells.</summary>
    private static string Resources(KernelFunction function)
    {
        int Attribute(CuFunctionAttribute attribute) =>
            CudaDriver.cuFuncGetAttribute(out var value, attribute, function.Handle) == CuResult.CUDA_SUCCESS ? value : -1;

        var registers = Attribute(CuFunctionAttribute.NumRegs);
        var staticShared = Attribute(CuFunctionAttribute.SharedSizeBytes);
        var maxThreads = Attribute(CuFunctionAttribute.MaxThreadsPerBlock);
        return registers < 0 ? "" : $"; the kernel uses {registers} registers per thread and {staticShared} B of static shared "
            + $"memory, and allows at most {maxThreads} threads per block";
    }

    private EventHandle CreateEvent()
    {
        CudaDriver.Check(CudaDriver.cuEventCreate(out var handle, CuFlags.EventDefault));
        return new EventHandle(_context, handle);
    }

    private void WaitForStream()
    {
        var status = CudaDriver.cuStreamSynchronize(Stream);
        if (status != CuResult.CUDA_SUCCESS) throw CudaDriver.Failure(status, "cuStreamSynchronize", FaultContext());
    }

    private string FaultContext() => $"an asynchronous error in queued work; the last work queued was {_last}";

    private string MemoryNote()
    {
        if (CudaDriver.cuMemGetInfo(out var free, out var total) != CuResult.CUDA_SUCCESS) return "";
        return $" ({Bytes((long)free)} free of {Bytes((long)total)})";
    }

    private static string Bytes(long bytes) => bytes >= 1L << 30
        ? $"{bytes / (double)(1L << 30):F2} GiB"
        : $"{bytes / (double)(1L << 20):F1} MiB";

    private static string InitHint(CuResult status) => status switch
    {
        CuResult.CUDA_ERROR_NO_DEVICE => " No GPU is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES); use --device cpu.",
        CuResult.CUDA_ERROR_STUB_LIBRARY =>
            " That libcuda is a CUDA toolkit's link stub: remove its stubs/ directory from LD_LIBRARY_PATH.",
        CuResult.CUDA_ERROR_SYSTEM_DRIVER_MISMATCH or CuResult.CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE =>
            " The libcuda.so.1 found does not match the loaded kernel driver (a CUDA compat library on LD_LIBRARY_PATH?).",
        _ => "",
    };

    /// <summary>What was queued last — a kernel launch, a GEMM or a graph replay — for fault messages.</summary>
    private readonly record struct LastWork(KernelFunction? Kernel, Dim3 Grid, Dim3 Block, int DynamicSharedBytes, CublasGemmCall? Gemm)
    {
        public override string ToString()
        {
            if (Kernel is { } k)
                return $"kernel {k.Module}.{k.Name} (grid {Grid}, block {Block}, {DynamicSharedBytes} B dynamic shared memory)";
            if (Gemm is { } g)
                return $"cublasGemmEx (column-major m {g.M}, n {g.N}, k {g.K}, {g.TransA}/{g.TransB}, {g.AType}·{g.BType} → {g.CType})";
            return DynamicSharedBytes < 0 ? "a CUDA graph replay" : "nothing yet";
        }
    }
}

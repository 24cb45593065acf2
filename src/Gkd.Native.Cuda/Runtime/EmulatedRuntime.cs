using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// The CUDA runtime emulated on the CPU, so that every kernel runs — and is tested — without a GPU.
/// <list type="bullet">
/// <item>Memory is host memory: 64-byte-aligned native allocations whose address is the <see cref="DevicePtr"/>; fresh
/// allocations are filled with 0xFF bytes (NaN as f32 and bf16, −1 as i32), so reading memory nothing wrote shows.
/// Copies and memsets are memcpy / memset.</item>
/// <item>Modules are the kernel text compiled by g++ against kernels/emulation (see <see cref="EmulationBuild"/>) and
/// loaded as shared libraries; a launch runs the whole grid before it returns, so a trap, failed GKD_ASSERT or
/// deadlock throws <see cref="KernelLaunchException"/> from <see cref="Launch"/> itself (on the GPU it would surface
/// at the next synchronisation); <see cref="Synchronize"/> has nothing to wait for.</item>
/// <item>Launch shapes are checked against CUDA's limits: at most 1024 threads per block (x, y ≤ 1024, z ≤ 64), grid
/// x &lt; 2³¹, y and z ≤ 65535, dynamic shared memory ≤ <see cref="MaxSharedMemoryPerBlock"/>.</item>
/// <item>Compute capability 80; 99 KiB of dynamic shared memory per block, the smallest opt-in limit among the
/// sm_80+ cards we target (sm_86/89 allow 99 KiB, A100 163 KiB, H100 227 KiB), so a kernel that fits here fits on
/// every one of them (beyond 48 KiB the GPU runtime must opt in per function).</item>
/// <item><see cref="Gemm"/> is the CPU SGEMM (<see cref="EmulatedGemm"/>).</item>
/// </list>
/// <see cref="MultiprocessorCount"/> is the number of OS threads that run a grid's blocks: $GKD_EMU_THREADS, else
/// the processor count.
/// </summary>
public sealed unsafe class EmulatedRuntime : IKernelRuntime
{
    public const int SharedMemoryPerBlock = 99 * 1024;

    private readonly EmulationBuild _build;
    private readonly ConcurrentDictionary<ulong, long> _allocations = new();
    // Trampoline → the loaded modules that handed it out (loading one library twice gives the same addresses).
    private readonly Dictionary<nint, List<EmulatedModule>> _functions = [];
    private readonly Lock _functionsLock = new();
    private bool _disposed;

    /// <param name="cacheDirectory">Where built kernel libraries are cached; null for <see cref="EmulationBuild"/>'s default.</param>
    public EmulatedRuntime(string? cacheDirectory = null)
    {
        _build = new EmulationBuild(cacheDirectory);
        MultiprocessorCount = int.TryParse(Environment.GetEnvironmentVariable("GKD_EMU_THREADS"), out var threads) && threads > 0
            ? Math.Min(threads, 256)
            : Environment.ProcessorCount;
    }

    public string Description => $"CUDA emulation on the CPU ({_build.CompilerVersion}, {MultiprocessorCount} threads)";

    public int ComputeCapability => 80;

    public int MaxSharedMemoryPerBlock => SharedMemoryPerBlock;

    public int MultiprocessorCount { get; }

    public IDeviceGemm Gemm { get; } = new EmulatedGemm();

    /// <summary>Where this runtime's kernel libraries are built and cached.</summary>
    public string CacheDirectory => _build.CacheDirectory;

    public DevicePtr Allocate(long bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        var memory = NativeMemory.AlignedAlloc((nuint)bytes, 64);
        NativeMemory.Fill(memory, (nuint)bytes, 0xFF);
        _allocations[(ulong)memory] = bytes;
        return new DevicePtr((ulong)memory);
    }

    public void Free(DevicePtr ptr)
    {
        if (ptr.IsNull) return;
        if (!_allocations.TryRemove(ptr.Address, out _))
            throw new ArgumentException($"{ptr} is not an allocation of this runtime (freed twice?)", nameof(ptr));
        NativeMemory.AlignedFree((void*)ptr.Address);
    }

    public void CopyToDevice(DevicePtr dst, ReadOnlySpan<byte> src) => src.CopyTo(Bytes(dst, src.Length));

    public void CopyToHost(Span<byte> dst, DevicePtr src) => Bytes(src, dst.Length).CopyTo(dst);

    public void CopyDeviceToDevice(DevicePtr dst, DevicePtr src, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0) return;
        CheckAddress(dst);
        CheckAddress(src);
        Buffer.MemoryCopy((void*)src.Address, (void*)dst.Address, bytes, bytes);
    }

    public void Memset(DevicePtr dst, byte value, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0) return;
        CheckAddress(dst);
        NativeMemory.Fill((void*)dst.Address, (nuint)bytes, value);
    }

    public IKernelModule LoadModule(KernelSource source)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new EmulatedModule(this, source.Name, _build.LibraryFor(source));
    }

    public void Launch(KernelFunction function, Dim3 grid, Dim3 block, int dynamicSharedBytes, void** args)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        EmulatedModule? module;
        lock (_functionsLock) module = _functions.TryGetValue(function.Handle, out var modules) ? modules[0] : null;
        if (module is null)
            throw new ArgumentException(
                $"kernel {function.Module}/{function.Name} does not belong to a module loaded in this runtime (disposed?)",
                nameof(function));
        CheckShape(function, grid, block, dynamicSharedBytes);
        var launch = (delegate* unmanaged<uint, uint, uint, uint, uint, uint, int, void**, int>)function.Handle;
        if (launch(grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, dynamicSharedBytes, args) != 0)
            throw new KernelLaunchException(function, module.LastError);
    }

    public void Synchronize() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Frees every allocation still held. Loaded modules stay usable only until they are disposed.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var address in _allocations.Keys) NativeMemory.AlignedFree((void*)address);
        _allocations.Clear();
    }

    internal void Register(KernelFunction function, EmulatedModule module)
    {
        lock (_functionsLock)
        {
            if (!_functions.TryGetValue(function.Handle, out var modules)) _functions[function.Handle] = modules = [];
            if (!modules.Contains(module)) modules.Add(module);
        }
    }

    internal void Unregister(EmulatedModule module)
    {
        lock (_functionsLock)
        {
            foreach (var (handle, modules) in _functions.ToArray())
                if (modules.Remove(module) && modules.Count == 0) _functions.Remove(handle);
        }
    }

    private void CheckShape(KernelFunction function, Dim3 grid, Dim3 block, int dynamicSharedBytes)
    {
        string? problem = null;
        if (block.X == 0 || block.Y == 0 || block.Z == 0 || block.Count > 1024 || block.X > 1024 || block.Y > 1024 || block.Z > 64)
            problem = $"block {block} (at most 1024 threads; x, y ≤ 1024, z ≤ 64)";
        else if (grid.X == 0 || grid.Y == 0 || grid.Z == 0 || grid.X > int.MaxValue || grid.Y > 65535 || grid.Z > 65535)
            problem = $"grid {grid} (x < 2^31, y and z ≤ 65535, none 0)";
        else if (dynamicSharedBytes < 0 || dynamicSharedBytes > MaxSharedMemoryPerBlock)
            problem = $"{dynamicSharedBytes} bytes of dynamic shared memory (at most {MaxSharedMemoryPerBlock})";
        if (problem is not null) throw new KernelLaunchException(function, $"invalid launch: {problem}");
    }

    private Span<byte> Bytes(DevicePtr ptr, int length)
    {
        if (length == 0) return default;
        CheckAddress(ptr);
        return new Span<byte>((void*)ptr.Address, length);
    }

    private void CheckAddress(DevicePtr ptr)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ptr.IsNull) throw new ArgumentException("null device pointer", nameof(ptr));
    }
}

using System.Numerics;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda;

/// <summary>
/// A caching allocator over the runtime's memory: freed blocks go to a free list keyed by their rounded size and are
/// handed out again, so after the first step no op allocates from the driver. Sizes round up to 512 bytes below
/// 1 MiB and to a multiple of 1/8 of their power of two above (at most 12.5% slack). Memory returns to the runtime
/// only on <see cref="Dispose"/> or <see cref="Trim"/>.
/// </summary>
public sealed class DeviceArena(IKernelRuntime runtime) : IDisposable
{
    private readonly Dictionary<long, Stack<DevicePtr>> _free = [];
    private readonly Dictionary<ulong, long> _sizes = [];
    private readonly Lock _lock = new();

    /// <summary>Bytes currently handed out.</summary>
    public long InUse { get; private set; }

    /// <summary>Bytes held from the runtime (in use or cached).</summary>
    public long Reserved { get; private set; }

    /// <summary>The largest <see cref="Reserved"/> seen.</summary>
    public long PeakReserved { get; private set; }

    /// <summary>The largest <see cref="InUse"/> since construction or <see cref="ResetPeakInUse"/>.</summary>
    public long PeakInUse { get; private set; }

    public void ResetPeakInUse()
    {
        lock (_lock) PeakInUse = InUse;
    }

    public DevicePtr Allocate(long bytes)
    {
        var size = RoundUp(Math.Max(bytes, 1));
        lock (_lock)
        {
            InUse += size;
            PeakInUse = Math.Max(PeakInUse, InUse);
            if (_free.TryGetValue(size, out var stack) && stack.TryPop(out var cached)) return cached;
            var ptr = runtime.Allocate(size);
            _sizes[ptr.Address] = size;
            Reserved += size;
            PeakReserved = Math.Max(PeakReserved, Reserved);
            return ptr;
        }
    }

    public void Free(DevicePtr ptr)
    {
        lock (_lock)
        {
            if (!_sizes.TryGetValue(ptr.Address, out var size)) throw new ArgumentException($"{ptr} was not allocated by this arena");
            InUse -= size;
            if (!_free.TryGetValue(size, out var stack)) _free[size] = stack = new Stack<DevicePtr>();
            stack.Push(ptr);
        }
    }

    /// <summary>Returns every cached (free) block to the runtime.</summary>
    public void Trim()
    {
        lock (_lock)
        {
            foreach (var (size, stack) in _free)
                while (stack.TryPop(out var p))
                {
                    runtime.Free(p);
                    _sizes.Remove(p.Address);
                    Reserved -= size;
                }
        }
    }

    internal static long RoundUp(long bytes)
    {
        if (bytes <= 1 << 20) return (bytes + 511) & ~511L;
        var step = Math.Max(512, (long)BitOperations.RoundUpToPowerOf2((ulong)bytes) / 8);
        return (bytes + step - 1) / step * step;
    }

    public void Dispose()
    {
        Trim();
        lock (_lock)
        {
            foreach (var addr in _sizes.Keys) runtime.Free(new DevicePtr(addr));
            _sizes.Clear();
            Reserved = InUse = 0;
        }
    }
}

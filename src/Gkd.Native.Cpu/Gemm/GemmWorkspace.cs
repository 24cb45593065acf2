using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gkd.Native.Cpu.Gemm;

/// <summary>
/// One worker's packing buffers: pinned float arrays that only grow, handed out from a small pool so the hot path
/// makes no large allocations. The GC reclaims a workspace the pool lets go of.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    private static readonly ConcurrentBag<GemmWorkspace> Pool = [];
    /// <summary>Workspaces kept between calls: one per core and one for a calling thread.</summary>
    private static readonly int PoolLimit = Environment.ProcessorCount + 1;

    private float[] _a = [];
    private float[] _b = [];
    private float[] _tile = [];

    public static GemmWorkspace Rent() => Pool.TryTake(out var ws) ? ws : new GemmWorkspace();

    public static void Return(GemmWorkspace ws)
    {
        if (Pool.Count < PoolLimit) Pool.Add(ws);
    }

    /// <summary>At least <paramref name="floats"/> floats, 64-byte aligned, for packed A (or a copy of op(A)).</summary>
    public float* A(long floats) => Aligned(ref _a, floats);

    /// <summary>At least <paramref name="floats"/> floats, 64-byte aligned, for packed B.</summary>
    public float* B(long floats) => Aligned(ref _b, floats);

    /// <summary>At least <paramref name="floats"/> floats, 64-byte aligned, for one edge tile.</summary>
    public float* Tile(long floats) => Aligned(ref _tile, floats);

    private static float* Aligned(ref float[] buffer, long floats)
    {
        if (buffer.Length < floats + 16)
            buffer = GC.AllocateUninitializedArray<float>(checked((int)floats + 16), pinned: true);
        var p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (float*)((p + 63) & ~(nint)63);
    }
}

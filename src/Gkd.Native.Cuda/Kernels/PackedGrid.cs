using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// The launch shape of the element-wise kernels that move packs of <see cref="PackElements"/> consecutive elements
/// per thread and step (16-byte accesses): the <see cref="GridStride"/> shape over ceil(n / 8) packs — 256 threads per
/// block, at most 4096 blocks. It depends on n alone, so the GPU and the emulation run the same grid.
/// </summary>
public static class PackedGrid
{
    public const int PackElements = 8;

    public static (Dim3 Grid, Dim3 Block) For(long n) => GridStride.For((n + PackElements - 1) / PackElements);
}

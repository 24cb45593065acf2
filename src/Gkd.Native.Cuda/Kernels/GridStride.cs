using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// The launch shape of a grid-stride kernel over n elements: 256 threads per block and one block per 256 elements,
/// up to 4096 blocks (beyond that each thread loops). It depends on n alone, so the GPU and the emulation run the
/// same grid.
/// </summary>
public static class GridStride
{
    public const uint BlockThreads = 256;
    public const uint MaxBlocks = 4096;

    public static (Dim3 Grid, Dim3 Block) For(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        var blocks = (uint)Math.Min((n + BlockThreads - 1) / BlockThreads, MaxBlocks);
        return (new Dim3(blocks), new Dim3(BlockThreads));
    }
}

using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// The launch shape of a kernel that gives each row of V elements one block and reads the row as 16-byte vectors
/// (distill_loss.cu, sampling.cu): one block per row, and about one thread per four vectors of a row — a multiple of
/// 32 from 32 to 1024. It depends on the row length and dtype alone, so the GPU and the emulation run the same grid.
/// </summary>
public static class RowBlock
{
    public const uint MinThreads = 32;
    public const uint MaxThreads = 1024;
    private const int VectorBytes = 16;
    private const int VectorsPerThread = 4;

    public static (Dim3 Grid, Dim3 Block) For(long rows, int v, DType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(v);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, int.MaxValue);
        var lanes = VectorBytes / dtype.Size();
        var vectors = ((long)v + lanes - 1) / lanes;
        var threads = (vectors + VectorsPerThread - 1) / VectorsPerThread;
        threads = Math.Clamp((threads + 31) / 32 * 32, MinThreads, MaxThreads);
        return (new Dim3((uint)rows), new Dim3((uint)threads));
    }
}

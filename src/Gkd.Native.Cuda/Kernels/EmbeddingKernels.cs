using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// Launcher for kernels/embedding.cu: the row gather (128 threads per block, one block per row, min(n, 4096) blocks
/// striding over the rows) and the deterministic scatter-add backward (256 threads per block, one block per position,
/// min(n, 4096) blocks; the first occurrence of each id owns its row). Out-of-range ids trap in the kernel.
/// </summary>
public sealed class EmbeddingKernels(IKernelRuntime runtime) : IDisposable
{
    private const uint ForwardThreads = 128;
    private const uint BackwardThreads = 256; // embedding.cu's EMB_BWD_THREADS
    private const long MaxBlocks = 4096;

    private readonly ModuleFunctions _kernels = new(runtime, "embedding");

    /// <summary>y (n, cols) = table (vocab, cols)[ids (n) i32].</summary>
    public void Forward(DevicePtr y, DevicePtr ids, DevicePtr table, long n, int cols, long vocab, DType yType, DType tableType)
    {
        var name = $"embedding_fwd_{KernelDTypes.Suffix(yType)}_{KernelDTypes.Suffix(tableType)}";
        if (n == 0 || cols == 0) return;
        var args = new KernelArgs();
        args.Add(y).Add(ids).Add(table).Add(n).Add(cols).Add(vocab);
        args.Launch(runtime, _kernels[name], new Dim3((uint)Math.Min(n, MaxBlocks)), new Dim3(ForwardThreads));
    }

    /// <summary>dtable (vocab, cols) += scatter of dy (n, cols) by ids (n) i32, repeated ids in ascending position.</summary>
    public void Backward(DevicePtr dtable, DevicePtr dy, DevicePtr ids, long n, int cols, long vocab, DType dtableType, DType dyType)
    {
        var name = $"embedding_bwd_{KernelDTypes.Suffix(dtableType)}_{KernelDTypes.Suffix(dyType)}";
        if (n == 0 || cols == 0) return;
        var args = new KernelArgs();
        args.Add(dtable).Add(dy).Add(ids).Add(n).Add(cols).Add(vocab);
        args.Launch(runtime, _kernels[name], new Dim3((uint)Math.Min(n, MaxBlocks)), new Dim3(BackwardThreads));
    }

    public void Dispose() => _kernels.Dispose();
}

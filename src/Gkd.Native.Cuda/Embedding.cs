using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;

namespace Gkd.Native.Cuda;

public sealed partial class CudaBackend
{
    private EmbeddingKernels? _embedding;

    private EmbeddingKernels EmbeddingOps => Launcher(ref _embedding, () => new EmbeddingKernels(Runtime));

    /// <summary>
    /// y (N, C) = table (V, C)[ids (N) i32], y and table each f32 or bf16 (also a row gather). Ids outside [0, V) fail
    /// the kernel's assertion: under emulation at the launch, on the GPU at the next synchronisation.
    /// </summary>
    public void EmbeddingForward(Tensor y, Tensor ids, Tensor table)
    {
        const string op = nameof(EmbeddingForward);
        OpCheck.KernelFloat(op, "y", y); OpCheck.I32(op, "ids", ids); OpCheck.KernelFloat(op, "table", table);
        CheckRows(op, "y", y, ids, table);
        EmbeddingOps.Forward(Ptr(y), Ptr(ids), Ptr(table), ids.Numel, table.Shape.Cols, table.Shape.Rows, y.DType, table.DType);
    }

    /// <summary>
    /// dtable (V, C) += scatter of dy (N, C) by ids (N) i32 (+=), each f32 or bf16: every vocabulary row adds its dy
    /// rows in ascending position, in f32 from its old value, with one rounding — for f32 the CPU backend's bits.
    /// </summary>
    public void EmbeddingBackward(Tensor dtable, Tensor dy, Tensor ids)
    {
        const string op = nameof(EmbeddingBackward);
        OpCheck.KernelFloat(op, "dtable", dtable); OpCheck.KernelFloat(op, "dy", dy); OpCheck.I32(op, "ids", ids);
        CheckRows(op, "dy", dy, ids, dtable);
        EmbeddingOps.Backward(Ptr(dtable), Ptr(dy), Ptr(ids), ids.Numel, dtable.Shape.Cols, dtable.Shape.Rows, dtable.DType, dy.DType);
    }

    /// <summary>rows (N, C) matches ids (N) and table (V, C).</summary>
    private static void CheckRows(string op, string rowsName, Tensor rows, Tensor ids, Tensor table) =>
        OpCheck.That(rows.Shape.Cols == table.Shape.Cols && rows.Shape.Rows == ids.Numel, op,
            $"{rowsName} {OpCheck.Describe(rows)} must be (ids.Numel, C) for ids {OpCheck.Describe(ids)} and table {OpCheck.Describe(table)}");
}

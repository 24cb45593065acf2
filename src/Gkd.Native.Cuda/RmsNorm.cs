using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;

namespace Gkd.Native.Cuda;

public sealed partial class CudaBackend
{
    private RmsNormKernels? _rmsNorm;

    private RmsNormKernels RmsNormOps => Launcher(ref _rmsNorm, () => new RmsNormKernels(Runtime));

    /// <summary>
    /// y (N, C) = w · (x · rstd), rstd (N) f32 = 1 / sqrt(Σ x² / C + eps), statistics in f32 (Qwen2RMSNorm). x and y one
    /// dtype (f32 or bf16) with the same view, w (C) f32 or bf16. y may alias x.
    /// </summary>
    public void RmsNormForward(Tensor y, Tensor rstd, Tensor x, Tensor w, float eps)
    {
        const string op = nameof(RmsNormForward);
        OpCheck.KernelFloat(op, "x", x); OpCheck.KernelFloat(op, "w", w); OpCheck.F32(op, "rstd", rstd);
        OpCheck.SameDType(op, "y", y, "x", x); OpCheck.SameView(op, "y", y, "x", x);
        var c = x.Shape.Cols;
        OpCheck.Numel(op, "w", w, c);
        OpCheck.Numel(op, "rstd", rstd, x.Shape.Rows);
        RmsNormOps.Forward(Ptr(y), Ptr(rstd), Ptr(x), Ptr(w), eps, x.Shape.Rows, c, x.DType, w.DType);
    }

    /// <summary>
    /// dx (N, C) += ∂L/∂x = rstd·w·dy − x · rstd³ · Σ(dy·w·x) / C, and when dw is given, dw (C) += Σₙ dy·x·rstd (both +=).
    /// dx, dy, x one dtype (f32 or bf16) with the same view; w (C) and dw (C) f32 or bf16; rstd (N) f32 from the forward.
    /// dw's sum runs over fixed chunks of rows combined in order: the same bits on every run.
    /// </summary>
    public void RmsNormBackward(Tensor dx, Tensor? dw, Tensor dy, Tensor x, Tensor w, Tensor rstd)
    {
        const string op = nameof(RmsNormBackward);
        OpCheck.KernelFloat(op, "x", x); OpCheck.KernelFloat(op, "w", w); OpCheck.F32(op, "rstd", rstd);
        foreach (var (name, t) in (ReadOnlySpan<(string, Tensor)>)[("dx", dx), ("dy", dy)])
        {
            OpCheck.SameDType(op, name, t, "x", x); OpCheck.SameView(op, name, t, "x", x);
        }
        var c = x.Shape.Cols;
        var n = x.Shape.Rows;
        OpCheck.Numel(op, "w", w, c);
        OpCheck.Numel(op, "rstd", rstd, n);
        if (dw is null)
        {
            RmsNormOps.Backward(Ptr(dx), default, DType.F32, default, Ptr(dy), Ptr(x), Ptr(w), Ptr(rstd), n, c, x.DType, w.DType);
            return;
        }
        OpCheck.KernelFloat(op, "dw", dw);
        OpCheck.Numel(op, "dw", dw, c);
        if (n == 0) return;
        var workspace = Arena.Allocate(RmsNormKernels.WorkspaceFloats(n, c) * sizeof(float)); // (G, C) f32
        try
        {
            RmsNormOps.Backward(Ptr(dx), Ptr(dw), dw.DType, workspace, Ptr(dy), Ptr(x), Ptr(w), Ptr(rstd), n, c, x.DType, w.DType);
        }
        finally
        {
            Arena.Free(workspace); // stream order: later users of the block run after these kernels
        }
    }
}

using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;

namespace Gkd.Native.Cuda;

public sealed partial class CudaBackend
{
    private RopeKernels? _rope;

    private RopeKernels RopeOps => Launcher(ref _rope, () => new RopeKernels(Runtime));

    /// <summary>
    /// Rotary embedding, non-interleaved: x (N, H·HS) f32 or bf16, positions (N) i32, y (N, H·HS) of x's dtype (may
    /// alias x). y[i] = x[i]·cos a − x[i+HS/2]·sin a, y[i+HS/2] = x[i+HS/2]·cos a + x[i]·sin a with a = pos · inv_freq_i
    /// in transformers' f32 arithmetic (see kernels/rope.cu).
    /// </summary>
    public void RopeForward(Tensor y, Tensor x, Tensor positions, int headDim, float theta)
    {
        RopeChecks(nameof(RopeForward), y, x, positions, headDim, theta);
        RopeOps.Forward(Ptr(y), Ptr(x), Ptr(positions), headDim, theta, x.Shape.Rows, x.Shape.Cols, x.DType);
    }

    /// <summary>dx (N, H·HS) += Rᵀ dy, the rotation by −a (+=); dx must not alias dy.</summary>
    public void RopeBackward(Tensor dx, Tensor dy, Tensor positions, int headDim, float theta)
    {
        const string op = nameof(RopeBackward);
        RopeChecks(op, dx, dy, positions, headDim, theta);
        OpCheck.That(Ptr(dx) != Ptr(dy), op, "dx must not alias dy");
        RopeOps.Backward(Ptr(dx), Ptr(dy), Ptr(positions), headDim, theta, dy.Shape.Rows, dy.Shape.Cols, dy.DType);
    }

    /// <summary>y and x one float dtype with the same view, HS even and dividing the last axis, one position per row.</summary>
    private static void RopeChecks(string op, Tensor y, Tensor x, Tensor positions, int headDim, float theta)
    {
        OpCheck.KernelFloat(op, "x", x); OpCheck.I32(op, "positions", positions);
        OpCheck.SameDType(op, "y", y, "x", x); OpCheck.SameView(op, "y", y, "x", x);
        OpCheck.That(headDim > 0 && headDim % 2 == 0 && x.Shape.Cols % headDim == 0, op,
            $"head size {headDim} must be even and divide the last axis of x {OpCheck.Describe(x)}");
        OpCheck.That(theta > 0f, op, $"theta = {theta} must be positive");
        OpCheck.Numel(op, "positions", positions, x.Shape.Rows);
    }
}

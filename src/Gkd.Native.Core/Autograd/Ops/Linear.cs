using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Autograd;

public static partial class TapeOps
{
    /// <summary>
    /// y (…, out) = x (…, in) · wᵀ + b, w (out, in) in any stored float dtype, b (out) optional. Backward:
    /// dx += dy · w, dw += dyᵀ · x, db += Σ dy — each only for inputs that require a gradient, so a frozen weight
    /// costs no weight-gradient GEMM and does not keep x alive.
    /// </summary>
    public static Tensor Linear(this Tape tape, Tensor x, Tensor w, Tensor? b = null)
    {
        var be = x.Backend;
        if (x.Shape.Cols != w.Shape[1]) throw new ArgumentException($"linear: x {x.Shape} does not match weight {w.Name} {w.Shape}");
        var y = be.Allocate(x.Shape.WithCols(w.Shape[0]), be.ActivationDType); // (…, out)
        be.Matmul(y, x, w, transA: false, transB: true, alpha: 1f, beta: 0f);
        if (b is not null) be.AddBias(y, b);

        var bGrad = b is not null && b.RequiresGrad;
        if (!tape.NeedsGrad(x, w) && !(bGrad && tape.IsRecording)) return y;
        Tensor[] saved = w.RequiresGrad ? [w, x] : [w];
        tape.Record("linear", y, saved, (dy, s) =>
        {
            if (x.RequiresGrad) be.Matmul(Tape.GradOf(x), dy, s[0], false, false, 1f, 1f);
            if (w.RequiresGrad) be.Matmul(Tape.GradOf(w), dy, s[1], true, false, 1f, 1f);
            if (bGrad) be.AddBiasBackward(Tape.GradOf(b!), dy);
        });
        return y;
    }
}

using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Autograd;

public static partial class TapeOps
{
    /// <summary>y (N, C) = x · rsqrt(mean(x²) + eps) · w (Qwen2RMSNorm, statistics in f32).</summary>
    public static Tensor RmsNorm(this Tape tape, Tensor x, Tensor w, float eps)
    {
        var be = x.Backend;
        var y = be.Allocate(x.Shape, be.ActivationDType);              // (N, C)
        var rstd = be.Allocate(new Shape(checked((int)x.Shape.Rows)), DType.F32); // (N)
        be.RmsNormForward(y, rstd, x, w, eps);
        if (tape.NeedsGrad(x, w))
        {
            tape.Record("rmsnorm", y, [x, w, rstd], (dy, s) =>
            {
                using var scratch = x.RequiresGrad ? null : be.Allocate(x.Shape, be.ActivationDType);
                be.RmsNormBackward(x.RequiresGrad ? Tape.GradOf(x) : scratch!, w.RequiresGrad ? Tape.GradOf(w) : null,
                    dy, s[0], s[1], s[2]);
            });
        }
        rstd.Dispose();
        return y;
    }
}

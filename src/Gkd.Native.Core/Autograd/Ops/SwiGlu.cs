using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Autograd;

public static partial class TapeOps
{
    /// <summary>y (N, FF) = silu(gate) · up.</summary>
    public static Tensor SwiGlu(this Tape tape, Tensor gate, Tensor up)
    {
        var be = gate.Backend;
        var y = be.Allocate(gate.Shape, be.ActivationDType); // (N, FF)
        be.SwiGluForward(y, gate, up);
        if (tape.NeedsGrad(gate, up))
        {
            tape.Record("swiglu", y, [gate, up], (dy, s) =>
            {
                using var scratchG = gate.RequiresGrad ? null : be.Allocate(gate.Shape, be.ActivationDType);
                using var scratchU = up.RequiresGrad ? null : be.Allocate(up.Shape, be.ActivationDType);
                be.SwiGluBackward(gate.RequiresGrad ? Tape.GradOf(gate) : scratchG!,
                    up.RequiresGrad ? Tape.GradOf(up) : scratchU!, dy, s[0], s[1]);
            });
        }
        return y;
    }
}

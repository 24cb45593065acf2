using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Autograd;

public static partial class TapeOps
{
    /// <summary>y = a + b (residual add); backward passes dy to both.</summary>
    public static Tensor Add(this Tape tape, Tensor a, Tensor b)
    {
        var be = a.Backend;
        var y = be.Allocate(a.Shape, be.ActivationDType);
        be.Add(y, a, b);
        if (tape.NeedsGrad(a, b))
        {
            tape.Record("add", y, [], (dy, _) =>
            {
                if (a.RequiresGrad) be.Axpy(Tape.GradOf(a), dy, 1f);
                if (b.RequiresGrad) be.Axpy(Tape.GradOf(b), dy, 1f);
            });
        }
        return y;
    }
}

using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Autograd;

public static partial class TapeOps
{
    /// <summary>Rotary embedding of x (N, H·HS) at positions (N) i32; see IBackend.RopeForward.</summary>
    public static Tensor Rope(this Tape tape, Tensor x, Tensor positions, int headDim, float theta)
    {
        var be = x.Backend;
        var y = be.Allocate(x.Shape, be.ActivationDType); // (N, H·HS)
        be.RopeForward(y, x, positions, headDim, theta);
        if (tape.NeedsGrad(x))
            tape.Record("rope", y, [positions], (dy, s) => be.RopeBackward(Tape.GradOf(x), dy, s[0], headDim, theta));
        return y;
    }
}

using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Autograd;

public static partial class TapeOps
{
    /// <summary>
    /// The LoRA branch added to a base projection: y (N, out) = yBase + (dropout(x) · aᵀ) · bᵀ · scaling, with
    /// x (N, in), a (r, in), b (out, r); dropout keeps with probability 1 − p, its mask a pure function of the seed.
    /// Backward: dyBase += dy; db += scaling · dyᵀ · h; dh = scaling · dy · b; da += dhᵀ · dropout(x);
    /// dx += dropout'(dh · a). Only x and the r-wide h are kept for backward.
    /// </summary>
    public static Tensor Lora(this Tape tape, Tensor yBase, Tensor x, Tensor a, Tensor b, float scaling, float dropout, ulong seed)
    {
        var be = x.Backend;
        var rank = a.Shape[0];
        var xd = dropout > 0f ? be.Allocate(x.Shape, be.ActivationDType) : x.Share(); // (N, in)
        if (dropout > 0f) be.Dropout(xd, x, dropout, seed);
        var h = be.Allocate(x.Shape.WithCols(rank), be.ActivationDType);              // (N, r)
        be.Matmul(h, xd, a, false, true, 1f, 0f);
        var y = be.Allocate(yBase.Shape, be.ActivationDType);                        // (N, out)
        be.Copy(y, yBase);
        be.Matmul(y, h, b, false, true, scaling, 1f);

        if (tape.NeedsGrad(yBase, x) || tape.NeedsGrad(a, b))
        {
            tape.Record("lora", y, [x, h, a, b], (dy, s) =>
            {
                var (sx, sh, sa, sb) = (s[0], s[1], s[2], s[3]);
                if (yBase.RequiresGrad) be.Axpy(Tape.GradOf(yBase), dy, 1f);
                if (b.RequiresGrad) be.Matmul(Tape.GradOf(b), dy, sh, true, false, scaling, 1f);
                if (!a.RequiresGrad && !x.RequiresGrad) return;
                using var dh = be.Allocate(sh.Shape, be.ActivationDType); // (N, r)
                be.Matmul(dh, dy, sb, false, false, scaling, 0f);
                if (a.RequiresGrad)
                {
                    using var sxd = dropout > 0f ? be.Allocate(sx.Shape, be.ActivationDType) : sx.Share();
                    if (dropout > 0f) be.Dropout(sxd, sx, dropout, seed);
                    be.Matmul(Tape.GradOf(a), dh, sxd, true, false, 1f, 1f);
                }
                if (!x.RequiresGrad) return;
                if (dropout == 0f)
                {
                    be.Matmul(Tape.GradOf(x), dh, sa, false, false, 1f, 1f);
                    return;
                }
                using var dxd = be.Allocate(sx.Shape, be.ActivationDType); // (N, in)
                be.Matmul(dxd, dh, sa, false, false, 1f, 0f);
                be.DropoutBackward(Tape.GradOf(x), dxd, dropout, seed);
            });
        }
        xd.Dispose();
        h.Dispose();
        return y;
    }
}

using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Autograd;

public static partial class TapeOps
{
    /// <summary>
    /// Causal grouped-query attention with left padding: q (B·T, NH·HS), k and v (B·T, NKV·HS), start (B) i32.
    /// Returns o (B·T, NH·HS); see IBackend.AttentionForward.
    /// </summary>
    public static Tensor Attention(this Tape tape, Tensor q, Tensor k, Tensor v, Tensor start, int numHeads, int headDim)
    {
        var be = q.Backend;
        var batch = checked((int)start.Numel);
        var time = checked((int)(q.Shape.Rows / batch));
        var o = be.Allocate(q.Shape, be.ActivationDType);                        // (B·T, NH·HS)
        var lse = be.Allocate(new Shape(batch, numHeads, time), DType.F32);     // (B, NH, T)
        be.AttentionForward(o, lse, q, k, v, start, headDim);
        if (tape.NeedsGrad(q, k, v))
        {
            tape.Record("attention", o, [q, k, v, o, lse, start], (dout, s) =>
            {
                var grads = new Tensor?[3];
                Tensor[] inputs = [q, k, v];
                for (var i = 0; i < 3; i++)
                    grads[i] = inputs[i].RequiresGrad ? Tape.GradOf(inputs[i]) : be.Zeros(inputs[i].Shape, be.ActivationDType);
                be.AttentionBackward(grads[0]!, grads[1]!, grads[2]!, dout, s[0], s[1], s[2], s[3], s[4], s[5], headDim);
                for (var i = 0; i < 3; i++)
                    if (!inputs[i].RequiresGrad) grads[i]!.Dispose();
            });
        }
        lse.Dispose();
        return o;
    }
}

using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Autograd;

public static partial class TapeOps
{
    /// <summary>y (N, C) = table[ids], table (V, C), ids (N) i32.</summary>
    public static Tensor Embedding(this Tape tape, Tensor ids, Tensor table)
    {
        var be = table.Backend;
        var y = be.Allocate(new Shape(checked((int)ids.Numel), table.Shape[1]), be.ActivationDType); // (N, C)
        be.EmbeddingForward(y, ids, table);
        if (tape.NeedsGrad(table))
            tape.Record("embedding", y, [ids], (dy, s) => be.EmbeddingBackward(Tape.GradOf(table), dy, s[0]));
        return y;
    }
}

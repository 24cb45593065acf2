using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Autograd;

public static partial class TapeOps
{
    /// <summary>
    /// Gradient checkpointing: runs block without recording and keeps only its input; backward re-runs block on a
    /// fresh tape and backpropagates through it, so the block's activations live only during its own backward.
    /// block must be deterministic (dropout seeds fixed outside it) and may read parameters, whose gradients
    /// accumulate as usual.
    /// </summary>
    public static Tensor Checkpoint(this Tape tape, string name, Tensor x, Func<Tape, Tensor, Tensor> block)
    {
        if (!tape.IsRecording) return block(tape, x);
        var y = block(Tape.NoGrad, x);
        tape.Record(name, y, [x], (dy, s) =>
        {
            using var inner = new Tape();
            using var yInner = block(inner, s[0]);
            if (yInner.RequiresGrad) inner.Backward(yInner, dy);
        });
        return y;
    }
}

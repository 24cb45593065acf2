using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Causal grouped-query attention with left padding. q (B, T, NH, HS); k, v (B, T, NKV, HS) with NH a multiple
    /// of NKV (query head h reads kv head h / (NH/NKV)); start (B) i32 is each row's first real position. Query t
    /// of row b attends keys start_b ≤ s ≤ t with softmax(q·k / √HS); pad queries (t &lt; start_b) give o = 0.
    /// Writes o (B, T, NH, HS) and lse (B, NH, T) f32, the log-sum-exp of each query's scaled scores (0 for pads).
    /// </summary>
    void AttentionForward(Tensor o, Tensor lse, Tensor q, Tensor k, Tensor v, Tensor start, int headDim);

    /// <summary>dq, dk, dv += gradients of the forward above, recomputing probabilities from lse.</summary>
    void AttentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dout, Tensor q, Tensor k, Tensor v, Tensor o,
        Tensor lse, Tensor start, int headDim);
}

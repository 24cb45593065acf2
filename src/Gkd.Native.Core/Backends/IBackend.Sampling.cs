using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Draws tokens (B) i32 from logits (B, V) as transformers' sampling does: temperature, then top-k (keep logits ≥
    /// the k-th largest; 0 = off), then top-p (keep the most likely tokens until their probability reaches top_p,
    /// at least one; 1 = off), then a draw from the renormalised rest. Row b's draw uses
    /// u_b = Philox.Uniform(seed, offset + b): the chosen token is the first in vocabulary order whose cumulative
    /// kept probability exceeds u_b · (total kept probability). temperature 0 is greedy (the lowest index among the
    /// maxima). Logits are read, never changed.
    /// </summary>
    void Sample(Tensor tokens, Tensor logits, float temperature, int topK, float topP, ulong seed, ulong offset);
}

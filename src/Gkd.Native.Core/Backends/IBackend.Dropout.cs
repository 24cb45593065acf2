using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

public partial interface IBackend
{
    /// <summary>
    /// y = x · keep / (1 − p), where keep for element i is drawn from a counter-based RNG keyed by (seed, i), so
    /// backward and gradient-checkpoint recomputation reproduce the mask from the seed alone. y may alias x.
    /// </summary>
    void Dropout(Tensor y, Tensor x, float p, ulong seed);

    /// <summary>dx += dy · keep / (1 − p) with the forward's mask.</summary>
    void DropoutBackward(Tensor dx, Tensor dy, float p, ulong seed);
}

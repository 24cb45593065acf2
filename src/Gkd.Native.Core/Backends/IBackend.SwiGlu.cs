using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

public partial interface IBackend
{
    /// <summary>y (N, FF) = silu(gate) · up, silu(g) = g / (1 + e^−g).</summary>
    void SwiGluForward(Tensor y, Tensor gate, Tensor up);

    /// <summary>dgate += dy · up · silu'(gate); dup += dy · silu(gate).</summary>
    void SwiGluBackward(Tensor dgate, Tensor dup, Tensor dy, Tensor gate, Tensor up);
}

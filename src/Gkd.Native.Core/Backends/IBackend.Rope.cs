using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Rotary embedding, non-interleaved (rotate_half): x (N, H·HS) holds H heads of size HS per token; positions (N)
    /// i32. With f_i = 1 / theta^(2i/HS) and a = pos · f_i (both rounded to f32 as transformers does),
    /// y[i] = x[i]·cos a − x[i+HS/2]·sin a and y[i+HS/2] = x[i+HS/2]·cos a + x[i]·sin a. y may alias x.
    /// </summary>
    void RopeForward(Tensor y, Tensor x, Tensor positions, int headDim, float theta);

    /// <summary>dx += Rᵀ dy (rotation by −a). dx must not alias dy.</summary>
    void RopeBackward(Tensor dx, Tensor dy, Tensor positions, int headDim, float theta);
}

using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

public partial interface IBackend
{
    /// <summary>
    /// y (N, C) = x · rstd · w with rstd (N) f32 = 1 / sqrt(mean(x²) + eps), statistics in f32 (Qwen2RMSNorm).
    /// </summary>
    void RmsNormForward(Tensor y, Tensor rstd, Tensor x, Tensor w, float eps);

    /// <summary>dx (N, C) += ∂L/∂x; dw (C) += ∂L/∂w when dw is given. rstd is the forward's.</summary>
    void RmsNormBackward(Tensor dx, Tensor? dw, Tensor dy, Tensor x, Tensor w, Tensor rstd);
}

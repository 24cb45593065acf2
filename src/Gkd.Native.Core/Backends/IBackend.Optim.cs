using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

public partial interface IBackend
{
    /// <summary>
    /// One AdamW update as torch.optim.AdamW does it, all f32 (n elements each): param *= 1 − lr·weightDecay;
    /// m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; param −= lr / (1 − β1^step) · m / (√v / √(1 − β2^step) + eps).
    /// step counts from 1.
    /// </summary>
    void AdamW(Tensor param, Tensor m, Tensor v, Tensor grad, float lr, float beta1, float beta2, float eps,
        float weightDecay, int step);
}

using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;

namespace Gkd.Native.Cuda;

public sealed partial class CudaBackend
{
    private AdamWKernels? _adamW;

    private AdamWKernels AdamWOps => Launcher(ref _adamW, () => new AdamWKernels(Runtime));

    /// <summary>One AdamW step as the CPU backend's (torch.optim.AdamW), param, m, v and grad f32 of one element count.</summary>
    public void AdamW(Tensor param, Tensor m, Tensor v, Tensor grad, float lr, float beta1, float beta2, float eps,
        float weightDecay, int step)
    {
        const string op = nameof(AdamW);
        foreach (var (name, t) in (ReadOnlySpan<(string, Tensor)>)[("param", param), ("m", m), ("v", v), ("grad", grad)])
        {
            OpCheck.F32(op, name, t); OpCheck.Numel(op, name, t, param.Numel);
        }
        OpCheck.That(step >= 1, op, $"step = {step}; steps count from 1");
        AdamWOps.Step(Ptr(param), Ptr(m), Ptr(v), Ptr(grad), param.Numel, lr, beta1, beta2, eps, weightDecay, step);
    }
}

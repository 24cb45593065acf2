using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void AdamW(Tensor param, Tensor m, Tensor v, Tensor grad, float lr, float beta1, float beta2, float eps,
        float weightDecay, int step)
    {
        var n = param.Numel;
        if (m.Numel != n || v.Numel != n || grad.Numel != n)
            throw new ArgumentException($"adamw: param {param.Shape}, m {m.Shape}, v {v.Shape}, grad {grad.Shape} differ");
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "adamw: step counts from 1");
        var p = F32(param);
        var pm = F32(m);
        var pv = F32(v);
        var g = F32(grad);
        var bc1 = 1f - MathF.Pow(beta1, step);
        var bc2Sqrt = MathF.Sqrt(1f - MathF.Pow(beta2, step));
        var stepSize = lr / bc1;
        var decay = 1f - lr * weightDecay;
        for (long i = 0; i < n; i++)
        {
            p[i] *= decay;
            pm[i] = beta1 * pm[i] + (1f - beta1) * g[i];
            pv[i] = beta2 * pv[i] + (1f - beta2) * g[i] * g[i];
            p[i] -= stepSize * pm[i] / (MathF.Sqrt(pv[i]) / bc2Sqrt + eps);
        }
    }
}

using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// Launcher for kernels/adamw.cu: one AdamW step over f32 param, m, v and grad. The step's constants (decay, step
/// size, √ of the second bias correction) are computed here in f32 exactly as the CPU backend computes them.
/// <see cref="PackedGrid"/> shape.
/// </summary>
public sealed class AdamWKernels(IKernelRuntime runtime) : IDisposable
{
    private readonly ModuleFunctions _kernels = new(runtime, "adamw");

    /// <summary>param, m, v (n) updated in place from grad (n); step counts from 1.</summary>
    public void Step(DevicePtr param, DevicePtr m, DevicePtr v, DevicePtr grad, long n, float lr, float beta1, float beta2,
        float eps, float weightDecay, int step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        if (n == 0) return;
        var stepSize = lr / (1f - MathF.Pow(beta1, step));
        var bc2Sqrt = MathF.Sqrt(1f - MathF.Pow(beta2, step));
        var decay = 1f - lr * weightDecay;
        var args = new KernelArgs();
        args.Add(param).Add(m).Add(v).Add(grad).Add(beta1).Add(beta2).Add(eps).Add(stepSize).Add(decay).Add(bc2Sqrt).Add(n);
        var (grid, block) = PackedGrid.For(n);
        args.Launch(runtime, _kernels["adamw_f32"], grid, block);
    }

    public void Dispose() => _kernels.Dispose();
}

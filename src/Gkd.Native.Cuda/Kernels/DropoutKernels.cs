using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// Launcher for kernels/dropout.cu: inverted dropout whose mask is Philox.Uniform(seed, i) ≥ p, bit for bit the CPU
/// backend's, with the scale 1 / (1 − p) computed here in f32 as the CPU does. <see cref="PackedGrid"/> shape.
/// </summary>
public sealed class DropoutKernels(IKernelRuntime runtime) : IDisposable
{
    private readonly ModuleFunctions _kernels = new(runtime, "dropout");

    /// <summary>y (n) = x (n) · keep / (1 − p); y may alias x.</summary>
    public void Forward(DevicePtr y, DevicePtr x, float p, ulong seed, long n, DType dtype) =>
        Launch($"dropout_{KernelDTypes.Suffix(dtype)}", y, x, p, seed, n);

    /// <summary>dx (n) += dy (n) · keep / (1 − p), with the forward's mask.</summary>
    public void Backward(DevicePtr dx, DevicePtr dy, float p, ulong seed, long n, DType dtype) =>
        Launch($"dropout_backward_{KernelDTypes.Suffix(dtype)}", dx, dy, p, seed, n);

    public void Dispose() => _kernels.Dispose();

    private void Launch(string name, DevicePtr output, DevicePtr input, float p, ulong seed, long n)
    {
        if (n == 0) return;
        var args = new KernelArgs();
        args.Add(output).Add(input).Add(p).Add(1f / (1f - p)).Add(seed).Add(n);
        var (grid, block) = PackedGrid.For(n);
        args.Launch(runtime, _kernels[name], grid, block);
    }
}

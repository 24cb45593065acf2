using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>Launcher for kernels/swiglu.cu: the SwiGLU gate forward and backward, <see cref="PackedGrid"/> shape.</summary>
public sealed class SwiGluKernels(IKernelRuntime runtime) : IDisposable
{
    private readonly ModuleFunctions _kernels = new(runtime, "swiglu");

    /// <summary>y (n) = silu(gate (n)) · up (n); y may alias gate or up.</summary>
    public void Forward(DevicePtr y, DevicePtr gate, DevicePtr up, long n, DType dtype)
    {
        var name = $"swiglu_fwd_{KernelDTypes.Suffix(dtype)}";
        if (n == 0) return;
        var args = new KernelArgs();
        args.Add(y).Add(gate).Add(up).Add(n);
        var (grid, block) = PackedGrid.For(n);
        args.Launch(runtime, _kernels[name], grid, block);
    }

    /// <summary>dgate (n) += dy · up · silu'(gate); dup (n) += dy · silu(gate).</summary>
    public void Backward(DevicePtr dgate, DevicePtr dup, DevicePtr dy, DevicePtr gate, DevicePtr up, long n, DType dtype)
    {
        var name = $"swiglu_bwd_{KernelDTypes.Suffix(dtype)}";
        if (n == 0) return;
        var args = new KernelArgs();
        args.Add(dgate).Add(dup).Add(dy).Add(gate).Add(up).Add(n);
        var (grid, block) = PackedGrid.For(n);
        args.Launch(runtime, _kernels[name], grid, block);
    }

    public void Dispose() => _kernels.Dispose();
}

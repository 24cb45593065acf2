using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;

namespace Gkd.Native.Cuda;

public sealed partial class CudaBackend
{
    private SwiGluKernels? _swiGlu;

    private SwiGluKernels SwiGluOps => Launcher(ref _swiGlu, () => new SwiGluKernels(Runtime));

    /// <summary>y (N, FF) = silu(gate) · up, all one dtype (f32 or bf16) with the same view; y may alias either input.</summary>
    public void SwiGluForward(Tensor y, Tensor gate, Tensor up)
    {
        const string op = nameof(SwiGluForward);
        OpCheck.KernelFloat(op, "gate", gate);
        foreach (var (name, t) in (ReadOnlySpan<(string, Tensor)>)[("y", y), ("up", up)])
        {
            OpCheck.SameDType(op, name, t, "gate", gate); OpCheck.SameView(op, name, t, "gate", gate);
        }
        SwiGluOps.Forward(Ptr(y), Ptr(gate), Ptr(up), gate.Numel, gate.DType);
    }

    /// <summary>dgate += dy · up · silu'(gate); dup += dy · silu(gate) (both +=); all one dtype with the same view.</summary>
    public void SwiGluBackward(Tensor dgate, Tensor dup, Tensor dy, Tensor gate, Tensor up)
    {
        const string op = nameof(SwiGluBackward);
        OpCheck.KernelFloat(op, "gate", gate);
        foreach (var (name, t) in (ReadOnlySpan<(string, Tensor)>)[("dgate", dgate), ("dup", dup), ("dy", dy), ("up", up)])
        {
            OpCheck.SameDType(op, name, t, "gate", gate); OpCheck.SameView(op, name, t, "gate", gate);
        }
        SwiGluOps.Backward(Ptr(dgate), Ptr(dup), Ptr(dy), Ptr(gate), Ptr(up), gate.Numel, gate.DType);
    }
}

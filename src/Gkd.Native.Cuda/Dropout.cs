using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;

namespace Gkd.Native.Cuda;

public sealed partial class CudaBackend
{
    private DropoutKernels? _dropout;

    private DropoutKernels DropoutOps => Launcher(ref _dropout, () => new DropoutKernels(Runtime));

    /// <summary>
    /// y = x · keep / (1 − p), y and x one dtype (f32 or bf16) of the same element count; element i is kept iff
    /// Philox.Uniform(seed, i) ≥ p, as on the CPU. p = 0 copies; y may alias x.
    /// </summary>
    public void Dropout(Tensor y, Tensor x, float p, ulong seed)
    {
        const string op = nameof(Dropout);
        CheckDropout(op, "y", y, "x", x, p);
        if (p == 0f)
        {
            if (Ptr(y) != Ptr(x)) Runtime.CopyDeviceToDevice(Ptr(y), Ptr(x), x.ByteLength);
            return;
        }
        DropoutOps.Forward(Ptr(y), Ptr(x), p, seed, x.Numel, x.DType);
    }

    /// <summary>dx += dy · keep / (1 − p) with the forward's mask (+=); dx and dy as in <see cref="Dropout"/>.</summary>
    public void DropoutBackward(Tensor dx, Tensor dy, float p, ulong seed)
    {
        CheckDropout(nameof(DropoutBackward), "dx", dx, "dy", dy, p);
        DropoutOps.Backward(Ptr(dx), Ptr(dy), p, seed, dy.Numel, dy.DType);
    }

    private static void CheckDropout(string op, string outName, Tensor output, string inName, Tensor input, float p)
    {
        OpCheck.KernelFloat(op, inName, input); OpCheck.SameDType(op, outName, output, inName, input);
        OpCheck.Numel(op, outName, output, input.Numel);
        OpCheck.That(p is >= 0f and <= 1f, op, $"p = {p} is outside [0, 1]");
    }
}

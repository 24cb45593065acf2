using System.Runtime.InteropServices;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Kernels;

/// <summary>How the kernel tests compare a CUDA-on-emulation result with the CPU backend's.</summary>
internal static class KernelParity
{
    /// <summary>
    /// cuda equals cpu rounded to cuda's dtype, bit for bit — for ops whose f32 arithmetic is the same operations in
    /// the same order on both backends (the kernel rounds its f32 result to bf16 once, as the rounding here does).
    /// </summary>
    public static void BitExact(Tensor cuda, Tensor cpu, string what)
    {
        var expected = cpu.ToFloatArray();
        if (cuda.DType == DType.BF16)
            for (var i = 0; i < expected.Length; i++) expected[i] = BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(expected[i]));
        Assert.That(Bits(cuda.ToFloatArray()), Is.EqualTo(Bits(expected)), what);
    }

    /// <summary>
    /// cpu = cuda's values: after a bf16 step the CPU's unrounded f32 result would feed the next op different inputs.
    /// </summary>
    public static void Adopt(Tensor cpu, Tensor cuda) =>
        cpu.Backend.CopyFromHost(cpu, MemoryMarshal.AsBytes(cuda.ToFloatArray().AsSpan()));

    /// <summary>cuda within rtol · max|cpu| of cpu, element by element (<see cref="Close"/>).</summary>
    public static void Near(Tensor cuda, Tensor cpu, double rtol, string what) =>
        Close.Assert(cuda.ToFloatArray(), cpu.ToFloatArray(), rtol, what);

    /// <summary>Disposes both tensors of each CPU/CUDA pair.</summary>
    public static void Release(params (Tensor Cpu, Tensor Cuda)[] pairs)
    {
        foreach (var (cpu, cuda) in pairs)
        {
            cpu.Dispose();
            cuda.Dispose();
        }
    }

    /// <summary>The f32 bit patterns, for exact comparisons that tell −0 from +0 and show NaNs.</summary>
    public static uint[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToUInt32Bits);
}

using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>The dtype suffixes of kernel names (add_bf16, axpy_f32_bf16): f32 and bf16 storage, f32 math.</summary>
public static class KernelDTypes
{
    public static string Suffix(DType dtype) => dtype switch
    {
        DType.F32 => "f32",
        DType.BF16 => "bf16",
        _ => throw new ArgumentException($"kernels store f32 or bf16, not {dtype}", nameof(dtype)),
    };
}

using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// The values of a (small) weight tensor as f32: its own memory when it is f32, otherwise a converted copy on
    /// the pinned heap, returned in <paramref name="copy"/> so the caller keeps it alive while using the pointer.
    /// </summary>
    private static float* WeightF32(Tensor t, out float[]? copy)
    {
        if (t.DType == DType.F32)
        {
            copy = null;
            return F32(t);
        }
        copy = GC.AllocateUninitializedArray<float>(checked((int)t.Numel), pinned: true);
        Convert.ToF32(copy, Ptr(t), t.DType);
        fixed (float* p = copy) return p;
    }
}

using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// Launcher for kernels/distill_loss.cu: the generalized JSD per row of student and teacher logits, fused with its
/// gradient over the student logits (see <see cref="Core.Backends.IBackend.DistillLoss"/>). One block per row
/// (<see cref="RowBlock"/>); logits f32 or bf16.
/// </summary>
public sealed class DistillLossKernels : IDisposable
{
    private readonly IKernelRuntime _runtime;
    private readonly IKernelModule _module;
    private readonly KernelFunction _f32;
    private readonly KernelFunction _bf16;

    public DistillLossKernels(IKernelRuntime runtime)
    {
        _runtime = runtime;
        _module = runtime.LoadModule(KernelLibrary.Get("distill_loss"));
        _f32 = _module.Function("distill_loss_f32");
        _bf16 = _module.Function("distill_loss_bf16");
    }

    /// <summary>
    /// loss (rows) f32 = the row losses; dStudent (rows, v) of <paramref name="dtype"/>, unless null, = gradScale ·
    /// ∂loss/∂student (it may be the student's own memory); student, teacher (rows, v) of <paramref name="dtype"/>.
    /// </summary>
    public void DistillLoss(DevicePtr loss, DevicePtr dStudent, DevicePtr student, DevicePtr teacher, DType dtype, long rows,
        int v, float beta, float gradScale)
    {
        if (rows == 0) return;
        var function = dtype switch
        {
            DType.F32 => _f32,
            DType.BF16 => _bf16,
            _ => throw new ArgumentException($"distill_loss: logits must be f32 or bf16, not {dtype}", nameof(dtype)),
        };
        var (grid, block) = RowBlock.For(rows, v, dtype);
        var args = new KernelArgs();
        args.Add(loss).Add(dStudent).Add(student).Add(teacher).Add((long)v).Add(beta).Add(gradScale);
        args.Launch(_runtime, function, grid, block);
    }

    public void Dispose() => _module.Dispose();
}

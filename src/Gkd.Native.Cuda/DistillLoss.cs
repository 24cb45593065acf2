using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda;

public sealed partial class CudaBackend
{
    private DistillLossKernels? _distillLoss;

    /// <summary>
    /// See <see cref="Core.Backends.IBackend.DistillLoss"/>: loss (N) f32 from student and teacher logits (N, V) of
    /// one dtype, f32 or bf16; dStudent (N, V) of that dtype, when given, is written (=) with gradScale · ∂loss/∂student
    /// and may alias studentLogits. One launch of kernels/distill_loss.cu, f32 math.
    /// </summary>
    public void DistillLoss(Tensor loss, Tensor? dStudent, Tensor studentLogits, Tensor teacherLogits, float beta, float gradScale)
    {
        const string op = "cuda DistillLoss";
        var dtype = studentLogits.DType;
        if (dtype is not (DType.F32 or DType.BF16))
            throw new ArgumentException($"{op}: studentLogits {studentLogits} must be f32 or bf16");
        if (teacherLogits.DType != dtype || teacherLogits.Shape != studentLogits.Shape)
            throw new ArgumentException($"{op}: teacherLogits {teacherLogits} must match studentLogits {studentLogits}");
        if (dStudent is not null && (dStudent.DType != dtype || dStudent.Shape != studentLogits.Shape))
            throw new ArgumentException($"{op}: dStudent {dStudent} must match studentLogits {studentLogits}");
        var (rows, v) = (studentLogits.Shape.Rows, studentLogits.Shape.Cols);
        if (loss.DType != DType.F32 || loss.Numel != rows)
            throw new ArgumentException($"{op}: loss {loss} must be f32 with one element per row of {studentLogits}");
        if (v == 0) throw new ArgumentException($"{op}: logits {studentLogits} have an empty vocabulary");
        if (beta is not (>= 0f and <= 1f)) throw new ArgumentException($"{op}: beta = {beta} is outside [0, 1]");
        Launcher(ref _distillLoss, () => new DistillLossKernels(Runtime)).DistillLoss(Ptr(loss),
            dStudent is null ? DevicePtr.Null : Ptr(dStudent), Ptr(studentLogits), Ptr(teacherLogits), dtype, rows, v, beta,
            gradScale);
    }
}

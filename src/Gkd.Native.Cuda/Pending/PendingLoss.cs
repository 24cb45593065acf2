using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cuda;

// TEMPORARY during bring-up: replaced by the distill-loss and sampling kernel families.
public sealed partial class CudaBackend
{
    public void DistillLoss(Tensor loss, Tensor? dStudent, Tensor studentLogits, Tensor teacherLogits, float beta, float gradScale) => throw new NotImplementedException();
    public void Sample(Tensor tokens, Tensor logits, float temperature, int topK, float topP, ulong seed, ulong offset) => throw new NotImplementedException();
}

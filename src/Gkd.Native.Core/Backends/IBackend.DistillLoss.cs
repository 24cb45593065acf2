using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

public partial interface IBackend
{
    /// <summary>
    /// The generalized Jensen-Shannon divergence per row over the vocabulary, at temperature 1, with
    /// s = log_softmax(student) and t = log_softmax(teacher) (rows of (N, V), f32 math on any float dtype):
    /// β = 0 → KL(T‖S); β = 1 → KL(S‖T); otherwise m = logsumexp(s + ln(1−β), t + ln β) and
    /// loss = β·KL(T‖M) + (1−β)·KL(S‖M). Writes loss (N) f32. When dStudent (N, V) is given it is written (=) with
    /// gradScale · ∂loss_n/∂student logits; it may alias studentLogits (the logits are then consumed).
    /// </summary>
    void DistillLoss(Tensor loss, Tensor? dStudent, Tensor studentLogits, Tensor teacherLogits, float beta, float gradScale);
}

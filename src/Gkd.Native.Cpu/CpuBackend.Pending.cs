using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

// TEMPORARY during bring-up: ops not yet written. Deleted as each op family lands.
public sealed partial class CpuBackend
{
    public void Add(Tensor y, Tensor a, Tensor b) => throw new NotImplementedException();
    public void Axpy(Tensor y, Tensor x, float alpha) => throw new NotImplementedException();
    public void Scale(Tensor y, float alpha) => throw new NotImplementedException();
    public void AddBias(Tensor y, Tensor bias) => throw new NotImplementedException();
    public void AddBiasBackward(Tensor dbias, Tensor dy) => throw new NotImplementedException();
    public void SumOfSquares(Tensor result, Tensor x, bool accumulate) => throw new NotImplementedException();
    public void Dropout(Tensor y, Tensor x, float p, ulong seed) => throw new NotImplementedException();
    public void DropoutBackward(Tensor dx, Tensor dy, float p, ulong seed) => throw new NotImplementedException();
    public void EmbeddingForward(Tensor y, Tensor ids, Tensor table) => throw new NotImplementedException();
    public void EmbeddingBackward(Tensor dtable, Tensor dy, Tensor ids) => throw new NotImplementedException();
    public void RmsNormForward(Tensor y, Tensor rstd, Tensor x, Tensor w, float eps) => throw new NotImplementedException();
    public void RmsNormBackward(Tensor dx, Tensor? dw, Tensor dy, Tensor x, Tensor w, Tensor rstd) => throw new NotImplementedException();
    public void RopeForward(Tensor y, Tensor x, Tensor positions, int headDim, float theta) => throw new NotImplementedException();
    public void RopeBackward(Tensor dx, Tensor dy, Tensor positions, int headDim, float theta) => throw new NotImplementedException();
    public void AttentionForward(Tensor o, Tensor lse, Tensor q, Tensor k, Tensor v, Tensor start, int headDim) => throw new NotImplementedException();
    public void AttentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dout, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor start, int headDim) => throw new NotImplementedException();
    public void SwiGluForward(Tensor y, Tensor gate, Tensor up) => throw new NotImplementedException();
    public void SwiGluBackward(Tensor dgate, Tensor dup, Tensor dy, Tensor gate, Tensor up) => throw new NotImplementedException();
    public void DistillLoss(Tensor loss, Tensor? dStudent, Tensor studentLogits, Tensor teacherLogits, float beta, float gradScale) => throw new NotImplementedException();
}

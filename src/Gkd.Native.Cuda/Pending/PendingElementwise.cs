using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cuda;

// TEMPORARY during bring-up: replaced by the elementwise/embedding/swiglu/dropout/adamw kernel families.
public sealed partial class CudaBackend
{
    public void Fill(Tensor dst, float value) => throw new NotImplementedException();
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
    public void SwiGluForward(Tensor y, Tensor gate, Tensor up) => throw new NotImplementedException();
    public void SwiGluBackward(Tensor dgate, Tensor dup, Tensor dy, Tensor gate, Tensor up) => throw new NotImplementedException();
    public void AdamW(Tensor param, Tensor m, Tensor v, Tensor grad, float lr, float beta1, float beta2, float eps, float weightDecay, int step) => throw new NotImplementedException();
}

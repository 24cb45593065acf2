using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cuda;

// TEMPORARY during bring-up: replaced by the rope/attention/kv-cache kernel families.
public sealed partial class CudaBackend
{
    public void RopeForward(Tensor y, Tensor x, Tensor positions, int headDim, float theta) => throw new NotImplementedException();
    public void RopeBackward(Tensor dx, Tensor dy, Tensor positions, int headDim, float theta) => throw new NotImplementedException();
    public void AttentionForward(Tensor o, Tensor lse, Tensor q, Tensor k, Tensor v, Tensor start, int headDim) => throw new NotImplementedException();
    public void AttentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dout, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor start, int headDim) => throw new NotImplementedException();
    public void KvCacheWrite(Tensor kCache, Tensor vCache, Tensor k, Tensor v, int pos) => throw new NotImplementedException();
    public void AttentionDecode(Tensor o, Tensor q, Tensor kCache, Tensor vCache, Tensor start, int length, int headDim) => throw new NotImplementedException();
}

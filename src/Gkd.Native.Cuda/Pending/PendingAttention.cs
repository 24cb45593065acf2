using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cuda;

// TEMPORARY during bring-up: replaced by the attention/kv-cache kernel family.
public sealed partial class CudaBackend
{
    public void AttentionForward(Tensor o, Tensor lse, Tensor q, Tensor k, Tensor v, Tensor start, int headDim) => throw new NotImplementedException();
    public void AttentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dout, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor start, int headDim) => throw new NotImplementedException();
    public void KvCacheWrite(Tensor kCache, Tensor vCache, Tensor k, Tensor v, int pos) => throw new NotImplementedException();
    public void AttentionDecode(Tensor o, Tensor q, Tensor kCache, Tensor vCache, Tensor start, int length, int headDim) => throw new NotImplementedException();
}

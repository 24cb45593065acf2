using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

// TEMPORARY during bring-up: replaced by KvCache.cs, the decode path in Attention.cs and Sampling.cs.
public sealed partial class CpuBackend
{
    public void KvCacheWrite(Tensor kCache, Tensor vCache, Tensor k, Tensor v, int pos) => throw new NotImplementedException();
    public void AttentionDecode(Tensor o, Tensor q, Tensor kCache, Tensor vCache, Tensor start, int length, int headDim) => throw new NotImplementedException();
    public void Sample(Tensor tokens, Tensor logits, float temperature, int topK, float topP, ulong seed, ulong offset) => throw new NotImplementedException();
}

using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cuda;

// TEMPORARY during bring-up: replaced by the sampling kernel family.
public sealed partial class CudaBackend
{
    public void Sample(Tensor tokens, Tensor logits, float temperature, int topK, float topP, ulong seed, ulong offset) => throw new NotImplementedException();
}

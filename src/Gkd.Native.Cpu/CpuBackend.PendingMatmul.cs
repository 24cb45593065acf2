using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

// TEMPORARY during bring-up: replaced by Matmul.cs.
public sealed partial class CpuBackend
{
    public void Matmul(Tensor c, Tensor a, Tensor b, bool transA, bool transB, float alpha, float beta) => throw new NotImplementedException();
}

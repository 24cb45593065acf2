using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

public partial interface IBackend
{
    /// <summary>
    /// c (M, N) = alpha · op(a) · op(b) + beta · c, with op(a) (M, K) and op(b) (K, N): a is (M, K), or (K, M)
    /// when transA; b is (K, N), or (N, K) when transB. a and c are in the activation dtype; b may also be a
    /// stored weight (f32, bf16, f16). beta = 0 writes (=), beta = 1 accumulates (+=); c's old contents are not
    /// read when beta = 0.
    /// </summary>
    void Matmul(Tensor c, Tensor a, Tensor b, bool transA, bool transB, float alpha, float beta);
}

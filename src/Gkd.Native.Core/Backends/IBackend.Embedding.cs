using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

public partial interface IBackend
{
    /// <summary>y (N, C) = table[ids] — table (V, C) any float dtype; ids (N) i32, each in [0, V). Also a row gather.</summary>
    void EmbeddingForward(Tensor y, Tensor ids, Tensor table);

    /// <summary>dtable (V, C) += scatter of dy (N, C) by ids (N); repeated ids sum in a fixed order.</summary>
    void EmbeddingBackward(Tensor dtable, Tensor dy, Tensor ids);
}

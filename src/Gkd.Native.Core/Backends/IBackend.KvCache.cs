using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Appends keys and values to a layer's cache: kCache, vCache (B, NKV, Tmax, HS) get positions [pos, pos + T) of
    /// every (b, kv-head) from k, v (B·T, NKV·HS) (after RoPE). Positions are cache slots, shared by all rows (left
    /// padding keeps rows aligned).
    /// </summary>
    void KvCacheWrite(Tensor kCache, Tensor vCache, Tensor k, Tensor v, int pos);

    /// <summary>
    /// Decode-step attention: one new query per row, q (B, NH·HS), over the cache slots start_b ≤ s &lt; length
    /// (length − 1 is the query's own slot, already written); o (B, NH·HS). Same GQA mapping and scaling as
    /// <see cref="AttentionForward"/>.
    /// </summary>
    void AttentionDecode(Tensor o, Tensor q, Tensor kCache, Tensor vCache, Tensor start, int length, int headDim);
}

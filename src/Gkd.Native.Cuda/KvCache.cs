using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// Appends keys and values to a layer's cache: kCache, vCache (B, NKV, Tmax, HS) get slots [pos, pos + T) of every
    /// (b, kv head) from k, v (B·T, NKV·HS) (=), all one dtype (f32 or bf16). Slots are shared by all rows (left padding
    /// keeps rows aligned). The kernel is kv_cache_write in kernels/attention.cu.
    /// </summary>
    public void KvCacheWrite(Tensor kCache, Tensor vCache, Tensor k, Tensor v, int pos)
    {
        const string op = nameof(KvCacheWrite);
        var c = CacheShape.Of(op, kCache, vCache);
        OpCheck.SameDType(op, "k", k, "kCache", kCache); OpCheck.SameDType(op, "v", v, "kCache", kCache);
        OpCheck.That(k.Numel == v.Numel && k.Numel % ((long)c.B * c.NKV * c.HS) == 0, op,
            $"k {OpCheck.Describe(k)} and v {OpCheck.Describe(v)} must hold B·T rows of NKV·HS = {c.NKV}·{c.HS} for B = {c.B}");
        var t = checked((int)(k.Numel / ((long)c.B * c.NKV * c.HS)));
        OpCheck.That(pos >= 0 && pos + (long)t <= c.TMax, op, $"slots [{pos}, {pos + (long)t}) exceed Tmax = {c.TMax}");
        AttentionOps.CacheWrite(Ptr(kCache), Ptr(vCache), Ptr(k), Ptr(v), pos, c.B, t, c.NKV, c.HS, c.TMax, k.DType);
    }

    /// <summary>A layer's cache sizes: kCache and vCache both (B, NKV, Tmax, HS) of one kernel dtype.</summary>
    private readonly record struct CacheShape(int B, int NKV, int TMax, int HS)
    {
        public static CacheShape Of(string op, Tensor kCache, Tensor vCache)
        {
            OpCheck.KernelFloat(op, "kCache", kCache); OpCheck.SameDType(op, "vCache", vCache, "kCache", kCache);
            OpCheck.That(kCache.Shape.Rank == 4 && kCache.Shape == vCache.Shape, op,
                $"kCache {OpCheck.Describe(kCache)} and vCache {OpCheck.Describe(vCache)} must both be (B, NKV, Tmax, HS)");
            return new CacheShape(kCache.Shape[0], kCache.Shape[1], kCache.Shape[2], kCache.Shape[3]);
        }
    }
}

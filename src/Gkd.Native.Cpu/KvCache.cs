using System.Buffers;
using System.Runtime.CompilerServices;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// kCache, vCache (B, NKV, Tmax, HS) slots [pos, pos + T) of every (b, kv head) = k, v (B·T, NKV·HS) (=). The
    /// caches and the inputs share one dtype (any: the rows are copied as bytes); B, NKV, Tmax and HS come from the
    /// cache's shape and T from k's element count.
    /// </summary>
    public void KvCacheWrite(Tensor kCache, Tensor vCache, Tensor k, Tensor v, int pos)
    {
        const string op = nameof(KvCacheWrite);
        var d = CacheDims.Of(op, kCache, vCache);
        Require.That(k.DType == kCache.DType && v.DType == kCache.DType, op,
            $"k {Require.Describe(k)} and v {Require.Describe(v)} must have the cache's dtype {kCache.DType}");
        var rowElements = (long)d.B * d.NKV * d.HS;
        Require.That(k.Numel > 0 && k.Numel % rowElements == 0 && v.Numel == k.Numel, op,
            $"k {Require.Describe(k)} and v {Require.Describe(v)} must be (B·T, NKV·HS) with B = {d.B}, NKV·HS = {d.NKV * d.HS}");
        var t = checked((int)(k.Numel / rowElements));
        Require.That(pos >= 0 && pos + t <= d.Tmax, op, $"slots [{pos}, {pos + t}) do not fit a cache of Tmax = {d.Tmax}");
        var size = kCache.DType.Size();
        var headBytes = (long)d.HS * size;
        byte* pkc = Ptr(kCache), pvc = Ptr(vCache), pk = Ptr(k), pv = Ptr(v);
        ForChunks((long)d.B * d.NKV, Grain(2L * t * d.HS), (_, s, e) =>
        {
            for (var item = s; item < e; item++) // item = b·NKV + g
            {
                var g = (int)(item % d.NKV);
                var b = (int)(item / d.NKV);
                for (var i = 0; i < t; i++)
                {
                    var src = (((long)b * t + i) * d.NKV + g) * headBytes;  // row b·T + i, head g of (B·T, NKV·HS)
                    var dst = (item * d.Tmax + pos + i) * headBytes;        // slot pos + i of (b, g)
                    Buffer.MemoryCopy(pk + src, pkc + dst, headBytes, headBytes);
                    Buffer.MemoryCopy(pv + src, pvc + dst, headBytes, headBytes);
                }
            }
        });
    }

    /// <summary>
    /// One decode step of grouped-query attention: q (B, NH·HS) f32, one query per row, attends the cache slots
    /// start_b ≤ s &lt; length of kCache, vCache (B, NKV, Tmax, HS) f32 with softmax(q·k / √HS); query head h reads
    /// kv head h / (NH/NKV). Writes o (B, NH·HS) (=). One work item per (b, h): its scores are vectorised dot
    /// products, the softmax runs in f32 from the row maximum, and o is the probability-weighted sum of the values.
    /// </summary>
    public void AttentionDecode(Tensor o, Tensor q, Tensor kCache, Tensor vCache, Tensor start, int length, int headDim)
    {
        const string op = nameof(AttentionDecode);
        var d = CacheDims.Of(op, kCache, vCache);
        Require.F32(op, "q", q); Require.F32(op, "o", o); Require.F32(op, "kCache", kCache); Require.I32(op, "start", start);
        Require.Numel(op, "start", start, d.B);
        Require.That(headDim == d.HS, op, $"headDim {headDim} differs from the cache's HS = {d.HS}");
        Require.That(q.Numel > 0 && q.Numel % ((long)d.B * d.HS) == 0, op,
            $"q {Require.Describe(q)} must be (B, NH·HS) with B = {d.B}, HS = {d.HS}");
        var nh = checked((int)(q.Numel / ((long)d.B * d.HS)));
        Require.That(nh % d.NKV == 0, op, $"q has {nh} heads and the cache {d.NKV}: NKV must divide NH");
        Require.Numel(op, "o", o, q.Numel);
        Require.That(length > 0 && length <= d.Tmax, op, $"length {length} is outside [1, Tmax = {d.Tmax}]");
        var pStart = I32(start); // (B)
        for (var b = 0; b < d.B; b++)
            Require.That(pStart[b] >= 0 && pStart[b] < length, op, $"start[{b}] = {pStart[b]} is outside [0, length = {length})");
        var a = new DecodeArgs(F32(o), F32(q), F32(kCache), F32(vCache), pStart, d, nh, length);
        var grain = Grain(2L * length * d.HS);
        if (UseVector512) ForChunks((long)d.B * nh, grain, (_, s, e) => AttentionDecodeItems<Vec512>(a, s, e));
        else ForChunks((long)d.B * nh, grain, (_, s, e) => AttentionDecodeItems<Vec256>(a, s, e));
    }

    /// <summary>The sizes of a cache: K and V (B, NKV, Tmax, HS), same shape and dtype.</summary>
    private readonly record struct CacheDims(int B, int NKV, int Tmax, int HS)
    {
        public static CacheDims Of(string op, Tensor kCache, Tensor vCache)
        {
            Require.That(kCache.Shape.Rank == 4 && kCache.Numel > 0, op,
                $"kCache {Require.Describe(kCache)} must be (B, NKV, Tmax, HS)");
            Require.That(vCache.Shape == kCache.Shape && vCache.DType == kCache.DType, op,
                $"vCache {Require.Describe(vCache)} must match kCache {Require.Describe(kCache)}");
            return new CacheDims(kCache.Shape[0], kCache.Shape[1], kCache.Shape[2], kCache.Shape[3]);
        }
    }

    /// <summary>o, q (B, NH·HS); k, v (B, NKV, Tmax, HS); start (B); the slots [start_b, length) each row attends.</summary>
    private readonly struct DecodeArgs(float* o, float* q, float* k, float* v, int* start, CacheDims d, int nh, int length)
    {
        public readonly float* O = o, Q = q, K = k, V = v;
        public readonly int* Start = start;
        public readonly CacheDims D = d;
        public readonly int NH = nh, Length = length;

        /// <summary>Slot s of kv head g in row b of a (B, NKV, Tmax, HS) cache.</summary>
        public float* Slot(float* cache, int b, int g, int s) => cache + (((long)b * D.NKV + g) * D.Tmax + s) * D.HS;
    }

    /// <summary>Work items [start, end) of (b, h): scores, softmax and the weighted sum of values for one query head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AttentionDecodeItems<V>(DecodeArgs a, long start, long end) where V : unmanaged, IVec<V>
    {
        var hs = a.D.HS;
        var scale = (float)(1.0 / Math.Sqrt(hs));
        var pool = ArrayPool<float>.Shared.Rent(a.Length);
        fixed (float* s = pool) // (length − start_b) scores, then probabilities
        {
            for (var item = start; item < end; item++)
            {
                var h = (int)(item % a.NH);
                var b = (int)(item / a.NH);
                var g = h / (a.NH / a.D.NKV);
                var st = a.Start[b];
                var n = a.Length - st;
                float* q = a.Q + item * hs, o = a.O + item * hs; // (HS) each
                float* k = a.Slot(a.K, b, g, st), v = a.Slot(a.V, b, g, st); // (n, HS) each
                var max = float.NegativeInfinity;
                for (var j = 0; j < n; j++)
                {
                    s[j] = Dot<V>(q, k + (long)j * hs, hs) * scale;
                    max = MathF.Max(max, s[j]);
                }
                var sum = 0f;
                for (var j = 0; j < n; j++) sum += s[j] = MathF.Exp(s[j] - max);
                new Span<float>(o, hs).Clear();
                AccumulateRow<V>(o, 1f, s, 1, n, v, hs, hs);
                ScaleKernel<V>(o, 1f / sum, hs);
            }
        }
        ArrayPool<float>.Shared.Return(pool);
    }
}

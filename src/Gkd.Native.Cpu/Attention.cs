using System.Buffers;
using System.Runtime.CompilerServices;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>Queries per tile.</summary>
    private const int AttentionBlockQ = 16;

    /// <summary>Keys per tile: four vectors, so a row of scores lives in four registers.</summary>
    private static int AttentionBlockK<V>() where V : unmanaged, IVec<V> => 4 * V.Count;

    /// <summary>Zero columns after the last time of a transposed head, so a key tile never reads past it.</summary>
    private const int AttentionPad = 4 * 16;

    /// <summary>
    /// Causal grouped-query attention with left padding, flash-style: one work item per (b, query head, block of
    /// 16 queries) runs an online softmax over blocks of keys, holding only per-thread tiles. q, o (B, T, NH, HS) and
    /// k, v (B, T, NKV, HS) f32, also accepted as (B, T, heads·HS) or (B·T, heads·HS) with B = start's length;
    /// lse (B, NH, T) f32; start (B) i32 in [0, T]. Query t of row b attends keys start_b … t with scale 1/√HS;
    /// pad queries get o = 0, lse = 0.
    /// </summary>
    public void AttentionForward(Tensor o, Tensor lse, Tensor q, Tensor k, Tensor v, Tensor start, int headDim)
    {
        const string op = nameof(AttentionForward);
        var dims = AttentionDims.Of(op, q, k, v, start, headDim);
        dims.Check(op, "o", o, isQuery: true);
        Require.F32(op, "lse", lse);
        Require.Numel(op, "lse", lse, (long)dims.B * dims.NH * dims.T);
        var kt = TransposeHeads(F32(k), dims); // (B, NKV, HS, T + pad)
        fixed (float* pkt = kt)
        {
            var a = new AttentionPointers(F32(q), F32(k), F32(v), pkt, null, I32(start), F32(o), F32(lse));
            var items = (long)dims.B * dims.NH * dims.QueryBlocks;
            if (UseVector512) ForChunks(items, 1, (_, s, _) => AttentionForwardItem<Vec512>(a, dims, s));
            else ForChunks(items, 1, (_, s, _) => AttentionForwardItem<Vec256>(a, dims, s));
        }
        ArrayPool<float>.Shared.Return(kt);
    }

    /// <summary>
    /// dq, dk, dv += the gradients of <see cref="AttentionForward"/> given dout (B, T, NH·HS) and the forward's o
    /// and lse (+=). Probabilities are recomputed from lse; D_t = dout_t · o_t first. dq runs per (b, query head,
    /// query block); dk and dv per (b, kv head, key block), summing the group's query heads in ascending order —
    /// every output element has one owner and a fixed summation order, so the result is the same for any thread
    /// count. Pad queries contribute nothing.
    /// </summary>
    public void AttentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dout, Tensor q, Tensor k, Tensor v, Tensor o,
        Tensor lse, Tensor start, int headDim)
    {
        const string op = nameof(AttentionBackward);
        var dims = AttentionDims.Of(op, q, k, v, start, headDim);
        dims.Check(op, "dq", dq, isQuery: true);
        dims.Check(op, "dout", dout, isQuery: true);
        dims.Check(op, "o", o, isQuery: true);
        dims.Check(op, "dk", dk, isQuery: false);
        dims.Check(op, "dv", dv, isQuery: false);
        Require.F32(op, "lse", lse);
        Require.Numel(op, "lse", lse, (long)dims.B * dims.NH * dims.T);
        float[] kt = TransposeHeads(F32(k), dims), vt = TransposeHeads(F32(v), dims); // (B, NKV, HS, T + pad) each
        fixed (float* pkt = kt, pvt = vt)
        {
            var a = new AttentionPointers(F32(q), F32(k), F32(v), pkt, pvt, I32(start), F32(o), F32(lse));
            var g = new AttentionGradients(F32(dq), F32(dk), F32(dv), F32(dout),
                GC.AllocateUninitializedArray<float>(checked(dims.B * dims.NH * dims.T), pinned: true));
            var rows = (long)dims.B * dims.NH * dims.T;
            if (UseVector512)
            {
                ForChunks(rows, Grain(2L * dims.HS), (_, s, e) => AttentionDeltas<Vec512>(a, g, dims, s, e));
                ForChunks((long)dims.B * dims.NH * dims.QueryBlocks, 1, (_, s, _) => AttentionDqItem<Vec512>(a, g, dims, s));
                ForChunks((long)dims.B * dims.NKV * dims.KeyBlocks<Vec512>(), 1, (_, s, _) => AttentionDkDvItem<Vec512>(a, g, dims, s));
            }
            else
            {
                ForChunks(rows, Grain(2L * dims.HS), (_, s, e) => AttentionDeltas<Vec256>(a, g, dims, s, e));
                ForChunks((long)dims.B * dims.NH * dims.QueryBlocks, 1, (_, s, _) => AttentionDqItem<Vec256>(a, g, dims, s));
                ForChunks((long)dims.B * dims.NKV * dims.KeyBlocks<Vec256>(), 1, (_, s, _) => AttentionDkDvItem<Vec256>(a, g, dims, s));
            }
        }
        ArrayPool<float>.Shared.Return(kt);
        ArrayPool<float>.Shared.Return(vt);
    }

    /// <summary>
    /// k (B, T, NKV, HS) transposed per head into (B, NKV, HS, T + pad) with zero padding, so that a tile of keys'
    /// scores is a row of FMAs over contiguous keys. Rented from the shared pool; the caller returns it.
    /// </summary>
    private float[] TransposeHeads(float* k, AttentionDims d)
    {
        var tp = d.T + AttentionPad;
        var kt = ArrayPool<float>.Shared.Rent(checked(d.B * d.NKV * d.HS * tp));
        fixed (float* pkt = kt)
        {
            var dst = pkt;
            ForChunks((long)d.B * d.NKV * d.HS, Grain(tp), (_, start, end) =>
            {
                for (var row = start; row < end; row++) // row = (b·NKV + g)·HS + c
                {
                    var c = (int)(row % d.HS);
                    var g = (int)(row / d.HS % d.NKV);
                    var b = (int)(row / d.HS / d.NKV);
                    var src = d.KRow(k, b, 0, g) + c;
                    var line = dst + row * tp;
                    for (var t = 0; t < d.T; t++) line[t] = src[t * d.KStride];
                    new Span<float>(line + d.T, AttentionPad).Clear();
                }
            });
        }
        return kt;
    }

    /// <summary>
    /// The forward's tensors: q (B, T, NH, HS), k, v (B, T, NKV, HS), their transposes kt, vt (B, NKV, HS, T + pad)
    /// (vt only in the backward), start (B), o (B, T, NH, HS), lse (B, NH, T).
    /// </summary>
    private readonly struct AttentionPointers(float* q, float* k, float* v, float* kt, float* vt, int* start, float* o, float* lse)
    {
        public readonly float* Q = q, K = k, V = v, Kt = kt, Vt = vt, O = o, Lse = lse;
        public readonly int* Start = start;
    }

    /// <summary>dq (B, T, NH, HS), dk, dv (B, T, NKV, HS), dout (B, T, NH, HS) and Delta (B, NH, T) = Σ dout·o per query.</summary>
    private readonly struct AttentionGradients(float* dq, float* dk, float* dv, float* dout, float[] delta)
    {
        public readonly float* Dq = dq, Dk = dk, Dv = dv, Dout = dout;
        public readonly float[] Delta = delta;
    }

    /// <summary>Sizes of an attention call, with the strides and pointers to one head's rows.</summary>
    private readonly record struct AttentionDims(int B, int T, int NH, int NKV, int HS)
    {
        public int Group => NH / NKV;
        public float Scale => (float)(1.0 / Math.Sqrt(HS));
        public int QueryBlocks => (T + AttentionBlockQ - 1) / AttentionBlockQ;
        public int KeyBlocks<V>() where V : unmanaged, IVec<V> => (T + AttentionBlockK<V>() - 1) / AttentionBlockK<V>();

        /// <summary>Floats between consecutive times of one query head, and of one kv head.</summary>
        public long QStride => (long)NH * HS;
        public long KStride => (long)NKV * HS;

        /// <summary>Row t of query head h in batch row b of a (B, T, NH, HS) tensor.</summary>
        public float* QRow(float* p, int b, int t, int h) => p + (((long)b * T + t) * NH + h) * HS;

        /// <summary>Row t of kv head g in batch row b of a (B, T, NKV, HS) tensor.</summary>
        public float* KRow(float* p, int b, int t, int g) => p + (((long)b * T + t) * NKV + g) * HS;

        /// <summary>Floats between consecutive channels of a transposed head (B, NKV, HS, T + pad).</summary>
        public int TStride => T + AttentionPad;

        /// <summary>Time t of channel 0 of kv head g in batch row b of a transposed (B, NKV, HS, T + pad) tensor.</summary>
        public float* KtColumn(float* p, int b, int g, int t) => p + ((long)b * NKV + g) * HS * TStride + t;

        /// <summary>
        /// The sizes from q and k: B = start's length; T = q's second axis when q is (B, T, …), else its rows / B;
        /// NH and NKV from the element counts. Checks dtypes, head grouping and start ∈ [0, T].
        /// </summary>
        public static AttentionDims Of(string op, Tensor q, Tensor k, Tensor v, Tensor start, int headDim)
        {
            Require.F32(op, "q", q); Require.F32(op, "k", k); Require.F32(op, "v", v); Require.I32(op, "start", start);
            var b = checked((int)start.Numel);
            Require.That(b > 0 && headDim > 0, op, $"start {Require.Describe(start)} must hold B > 0 entries and HS = {headDim} > 0");
            var rank3 = q.Shape.Rank >= 3;
            Require.That(rank3 ? q.Shape[0] == b : q.Shape.Rows % b == 0, op,
                $"q {Require.Describe(q)} must be (B, T, NH, HS) or (B·T, NH·HS) for B = {b} from start");
            var t = rank3 ? q.Shape[1] : checked((int)(q.Shape.Rows / b));
            var bt = (long)b * t;
            Require.That(t > 0 && q.Numel % (bt * headDim) == 0 && k.Numel % (bt * headDim) == 0 && k.Numel > 0 && v.Numel == k.Numel, op,
                $"q {Require.Describe(q)}, k {Require.Describe(k)} and v {Require.Describe(v)} must hold B·T = {b}·{t} rows " +
                $"of heads of size {headDim}");
            int nh = (int)(q.Numel / (bt * headDim)), nkv = (int)(k.Numel / (bt * headDim));
            Require.That(nh % nkv == 0, op,
                $"q {Require.Describe(q)} has {nh} heads and k {Require.Describe(k)} {nkv}: NKV must divide NH");
            var pStart = I32(start);
            for (var i = 0; i < b; i++)
                Require.That(pStart[i] >= 0 && pStart[i] <= t, op, $"start[{i}] = {pStart[i]} is outside [0, T = {t}]");
            return new AttentionDims(b, t, nh, nkv, headDim);
        }

        /// <summary>x is f32 and holds as many elements as q (B, T, NH, HS), or as k (B, T, NKV, HS).</summary>
        public void Check(string op, string name, Tensor x, bool isQuery)
        {
            Require.F32(op, name, x);
            var heads = isQuery ? NH : NKV;
            Require.That(x.Numel == (long)B * T * heads * HS, op,
                $"{name} {Require.Describe(x)} must hold (B, T, {(isQuery ? "NH" : "NKV")}, HS) = ({B}, {T}, {heads}, {HS}) elements");
        }
    }

    /// <summary>Forward of one (b, h, query block): pad rows zeroed, real rows by online softmax over key blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AttentionForwardItem<V>(AttentionPointers a, AttentionDims d, long item) where V : unmanaged, IVec<V>
    {
        var qb = (int)(item % d.QueryBlocks);
        var h = (int)(item / d.QueryBlocks % d.NH);
        var b = (int)(item / d.QueryBlocks / d.NH);
        int hs = d.HS, bk = AttentionBlockK<V>(), st = a.Start[b], g = h / d.Group;
        int i0 = qb * AttentionBlockQ, i1 = Math.Min(d.T, i0 + AttentionBlockQ);
        var lse = a.Lse + ((long)b * d.NH + h) * d.T; // (T)
        for (var i = i0; i < Math.Min(i1, st); i++)
        {
            new Span<float>(d.QRow(a.O, b, i, h), hs).Clear();
            lse[i] = 0f;
        }
        var ia = Math.Max(i0, st);
        if (ia >= i1) return;
        var nq = i1 - ia;
        var pool = ArrayPool<float>.Shared.Rent(bk + nq * hs + 2 * nq);
        fixed (float* scratch = pool)
        {
            float* s = scratch, acc = s + bk, m = acc + nq * hs, l = m + nq; // (BK), (nq, HS), (nq), (nq)
            new Span<float>(acc, nq * hs).Clear();
            new Span<float>(m, nq).Fill(float.NegativeInfinity);
            new Span<float>(l, nq).Clear();
            var scale = V.Splat(d.Scale);
            for (var j0 = st; j0 < i1; j0 += bk)
            {
                var nk = Math.Min(bk, i1 - j0);
                var kt = d.KtColumn(a.Kt, b, g, j0); // (HS, BK) with row stride T + pad
                for (var r = 0; r < nq; r++)
                {
                    var i = ia + r;
                    if (i < j0) continue;
                    var valid = Math.Min(nk, i - j0 + 1);
                    ScoreRow<V>(s, d.QRow(a.Q, b, i, h), kt, d.TStride, hs, scale, valid);
                    var mNew = MathF.Max(m[r], RowMaxOf<V>(s));
                    var alpha = MathF.Exp(m[r] - mNew); // 0 on the first block, where m = −∞
                    l[r] = l[r] * alpha + ExpInPlace<V>(s, mNew);
                    m[r] = mNew;
                    AccumulateRow<V>(acc + r * hs, alpha, s, 1, valid, d.KRow(a.V, b, j0, g), d.KStride, hs);
                }
            }
            for (var r = 0; r < nq; r++)
            {
                var oi = d.QRow(a.O, b, ia + r, h); // (HS)
                for (var c = 0; c < hs; c++) oi[c] = acc[r * hs + c] / l[r];
                lse[ia + r] = m[r] + MathF.Log(l[r]);
            }
        }
        ArrayPool<float>.Shared.Return(pool);
    }

    /// <summary>Delta (B, NH, T) = Σ dout·o for flat query rows [start, end) of (b, h, t).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AttentionDeltas<V>(AttentionPointers a, AttentionGradients g, AttentionDims d, long start, long end)
        where V : unmanaged, IVec<V>
    {
        for (var row = start; row < end; row++)
        {
            var t = (int)(row % d.T);
            var h = (int)(row / d.T % d.NH);
            var b = (int)(row / d.T / d.NH);
            g.Delta[row] = Dot<V>(d.QRow(g.Dout, b, t, h), d.QRow(a.O, b, t, h), d.HS);
        }
    }

    /// <summary>dq of one (b, h, query block) += scale · Σ_j ds_ij k_j, ds_ij = p_ij (dout_i·v_j − D_i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AttentionDqItem<V>(AttentionPointers a, AttentionGradients grad, AttentionDims d, long item)
        where V : unmanaged, IVec<V>
    {
        var qb = (int)(item % d.QueryBlocks);
        var h = (int)(item / d.QueryBlocks % d.NH);
        var b = (int)(item / d.QueryBlocks / d.NH);
        int hs = d.HS, bk = AttentionBlockK<V>(), st = a.Start[b], g = h / d.Group;
        int ia = Math.Max(qb * AttentionBlockQ, st), i1 = Math.Min(d.T, qb * AttentionBlockQ + AttentionBlockQ);
        if (ia >= i1) return;
        var nq = i1 - ia;
        long headRow = ((long)b * d.NH + h) * d.T;
        float* lse = a.Lse + headRow; // (T)
        var pool = ArrayPool<float>.Shared.Rent(2 * bk + nq * hs);
        fixed (float* delta = &grad.Delta[headRow])
        fixed (float* scratch = pool)
        {
            float* p = scratch, ds = p + bk, acc = ds + bk; // (BK) ×2, (nq, HS)
            new Span<float>(acc, nq * hs).Clear();
            var scale = V.Splat(d.Scale);
            for (var j0 = st; j0 < i1; j0 += bk)
            {
                var nk = Math.Min(bk, i1 - j0);
                float* kt = d.KtColumn(a.Kt, b, g, j0), vt = d.KtColumn(a.Vt, b, g, j0); // (HS, BK) each, row stride T + pad
                for (var r = 0; r < nq; r++)
                {
                    var i = ia + r;
                    if (i < j0) continue;
                    var valid = Math.Min(nk, i - j0 + 1);
                    ProbabilitiesAndScoreGrads<V>(p, ds, d.QRow(a.Q, b, i, h), d.QRow(grad.Dout, b, i, h), kt, vt, d.TStride,
                        hs, scale, valid, lse[i], delta[i]);
                    AccumulateRow<V>(acc + r * hs, 1f, ds, 1, valid, d.KRow(a.K, b, j0, g), d.KStride, hs);
                }
            }
            for (var r = 0; r < nq; r++)
                AxpyKernel<V>(d.QRow(grad.Dq, b, ia + r, h), acc + r * hs, d.Scale, hs);
        }
        ArrayPool<float>.Shared.Return(pool);
    }

    /// <summary>
    /// dk, dv of one (b, kv head, key block): over the group's query heads in ascending order and the queries
    /// from the block's first key on, dv_j += Σ p_ij dout_i and dk_j += scale · Σ ds_ij q_i.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AttentionDkDvItem<V>(AttentionPointers a, AttentionGradients grad, AttentionDims d, long item)
        where V : unmanaged, IVec<V>
    {
        var kb = (int)(item % d.KeyBlocks<V>());
        var g = (int)(item / d.KeyBlocks<V>() % d.NKV);
        var b = (int)(item / d.KeyBlocks<V>() / d.NKV);
        int hs = d.HS, bk = AttentionBlockK<V>(), bq = AttentionBlockQ;
        var j0 = a.Start[b] + kb * bk;
        if (j0 >= d.T) return;
        var nk = Math.Min(bk, d.T - j0);
        var pool = ArrayPool<float>.Shared.Rent(2 * bq * bk + 2 * bk * hs);
        fixed (float* scratch = pool)
        {
            float* p = scratch, ds = p + bq * bk, dkAcc = ds + bq * bk, dvAcc = dkAcc + bk * hs; // (BQ, BK) ×2, (BK, HS) ×2
            new Span<float>(dkAcc, 2 * bk * hs).Clear();
            float* kt = d.KtColumn(a.Kt, b, g, j0), vt = d.KtColumn(a.Vt, b, g, j0); // (HS, BK) each, row stride T + pad
            var scale = V.Splat(d.Scale);
            for (var h = g * d.Group; h < (g + 1) * d.Group; h++)
            {
                long headRow = ((long)b * d.NH + h) * d.T;
                float* lse = a.Lse + headRow; // (T)
                fixed (float* delta = &grad.Delta[headRow])
                {
                    for (var i0 = j0; i0 < d.T; i0 += bq)
                    {
                        var nq = Math.Min(bq, d.T - i0);
                        for (var r = 0; r < nq; r++)
                        {
                            var i = i0 + r;
                            ProbabilitiesAndScoreGrads<V>(p + r * bk, ds + r * bk, d.QRow(a.Q, b, i, h), d.QRow(grad.Dout, b, i, h),
                                kt, vt, d.TStride, hs, scale, Math.Min(nk, i - j0 + 1), lse[i], delta[i]);
                        }
                        for (var j = 0; j < nk; j++)
                        {
                            AccumulateRow<V>(dvAcc + j * hs, 1f, p + j, bk, nq, d.QRow(grad.Dout, b, i0, h), d.QStride, hs);
                            AccumulateRow<V>(dkAcc + j * hs, 1f, ds + j, bk, nq, d.QRow(a.Q, b, i0, h), d.QStride, hs);
                        }
                    }
                }
            }
            for (var j = 0; j < nk; j++)
            {
                AxpyKernel<V>(d.KRow(grad.Dk, b, j0 + j, g), dkAcc + j * hs, d.Scale, hs);
                AddKernel<V>(d.KRow(grad.Dv, b, j0 + j, g), d.KRow(grad.Dv, b, j0 + j, g), dvAcc + j * hs, hs);
            }
        }
        ArrayPool<float>.Shared.Return(pool);
    }

    /// <summary>
    /// For query row i against a key block (kt, vt (HS, BK), row stride ld): p (BK) = e^(scale·q·k_j − lse_i) and
    /// ds (BK) = p_j (dout_i·v_j − D_i), both 0 for j ≥ valid.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ProbabilitiesAndScoreGrads<V>(float* p, float* ds, float* q, float* dout, float* kt, float* vt, int ld,
        int hs, V scale, int valid, float lse, float delta) where V : unmanaged, IVec<V>
    {
        ScoreRow<V>(p, q, kt, ld, hs, scale, valid);
        ExpInPlace<V>(p, lse);
        ScoreRow<V>(ds, dout, vt, ld, hs, V.Splat(1f), valid: 4 * V.Count); // unmasked: finite, so p = 0 gives ds = 0
        var vd = V.Splat(delta);
        for (var j = 0; j < 4 * V.Count; j += V.Count) (V.Load(p + j) * (V.Load(ds + j) - vd)).Store(ds + j);
    }

    /// <summary>
    /// s (BK) = scale · (a · bt[:, j]) for a (HS) and bt (HS, BK) with row stride ld, BK = four vectors; entries
    /// j ≥ valid are set to −∞ (masked keys). Even and odd c accumulate apart (eight independent FMA chains), then add.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreRow<V>(float* s, float* a, float* bt, int ld, int hs, V scale, int valid) where V : unmanaged, IVec<V>
    {
        int w = V.Count, bk = 4 * w;
        V acc0 = V.Zero, acc1 = V.Zero, acc2 = V.Zero, acc3 = V.Zero;
        V odd0 = V.Zero, odd1 = V.Zero, odd2 = V.Zero, odd3 = V.Zero;
        var c = 0;
        for (; c + 2 <= hs; c += 2)
        {
            V ae = V.Splat(a[c]), ao = V.Splat(a[c + 1]);
            float* re = bt + (long)c * ld, ro = re + ld;
            acc0 = V.Fma(ae, V.Load(re), acc0);
            acc1 = V.Fma(ae, V.Load(re + w), acc1);
            acc2 = V.Fma(ae, V.Load(re + 2 * w), acc2);
            acc3 = V.Fma(ae, V.Load(re + 3 * w), acc3);
            odd0 = V.Fma(ao, V.Load(ro), odd0);
            odd1 = V.Fma(ao, V.Load(ro + w), odd1);
            odd2 = V.Fma(ao, V.Load(ro + 2 * w), odd2);
            odd3 = V.Fma(ao, V.Load(ro + 3 * w), odd3);
        }
        if (c < hs)
        {
            var ae = V.Splat(a[c]);
            var re = bt + (long)c * ld;
            acc0 = V.Fma(ae, V.Load(re), acc0);
            acc1 = V.Fma(ae, V.Load(re + w), acc1);
            acc2 = V.Fma(ae, V.Load(re + 2 * w), acc2);
            acc3 = V.Fma(ae, V.Load(re + 3 * w), acc3);
        }
        ((acc0 + odd0) * scale).Store(s);
        ((acc1 + odd1) * scale).Store(s + w);
        ((acc2 + odd2) * scale).Store(s + 2 * w);
        ((acc3 + odd3) * scale).Store(s + 3 * w);
        for (var j = valid; j < bk; j++) s[j] = float.NegativeInfinity;
    }

    /// <summary>max of s (BK = four vectors).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float RowMaxOf<V>(float* s) where V : unmanaged, IVec<V>
    {
        var w = V.Count;
        return V.Max(V.Max(V.Load(s), V.Load(s + w)), V.Max(V.Load(s + 2 * w), V.Load(s + 3 * w))).MaxAcross();
    }

    /// <summary>s (BK = four vectors) = e^(s − shift); returns Σ s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float ExpInPlace<V>(float* s, float shift) where V : unmanaged, IVec<V>
    {
        var w = V.Count;
        var vs = V.Splat(shift);
        var sum = V.Zero;
        for (var j = 0; j < 4 * w; j += w)
        {
            var e = V.Exp(V.Load(s + j) - vs);
            e.Store(s + j);
            sum += e;
        }
        return sum.Sum();
    }

    /// <summary>
    /// acc (HS) = alpha · acc + Σ_{k &lt; count} w[k·wStride] · rows[k·rowStride …] (rows of HS floats), with the
    /// accumulator chunks held in registers across k (even and odd k apart: eight independent FMA chains).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateRow<V>(float* acc, float alpha, float* w, int wStride, int count, float* rows, long rowStride, int hs)
        where V : unmanaged, IVec<V>
    {
        var vw = V.Count;
        var va = V.Splat(alpha);
        var c = 0;
        for (; c + 4 * vw <= hs; c += 4 * vw)
        {
            V a0 = V.Load(acc + c) * va, a1 = V.Load(acc + c + vw) * va;
            V a2 = V.Load(acc + c + 2 * vw) * va, a3 = V.Load(acc + c + 3 * vw) * va;
            V b0 = V.Zero, b1 = V.Zero, b2 = V.Zero, b3 = V.Zero;
            var k = 0;
            for (; k + 2 <= count; k += 2)
            {
                V we = V.Splat(w[k * wStride]), wo = V.Splat(w[(k + 1) * wStride]);
                float* re = rows + k * rowStride + c, ro = re + rowStride;
                a0 = V.Fma(we, V.Load(re), a0);
                a1 = V.Fma(we, V.Load(re + vw), a1);
                a2 = V.Fma(we, V.Load(re + 2 * vw), a2);
                a3 = V.Fma(we, V.Load(re + 3 * vw), a3);
                b0 = V.Fma(wo, V.Load(ro), b0);
                b1 = V.Fma(wo, V.Load(ro + vw), b1);
                b2 = V.Fma(wo, V.Load(ro + 2 * vw), b2);
                b3 = V.Fma(wo, V.Load(ro + 3 * vw), b3);
            }
            if (k < count)
            {
                var we = V.Splat(w[k * wStride]);
                var re = rows + k * rowStride + c;
                a0 = V.Fma(we, V.Load(re), a0);
                a1 = V.Fma(we, V.Load(re + vw), a1);
                a2 = V.Fma(we, V.Load(re + 2 * vw), a2);
                a3 = V.Fma(we, V.Load(re + 3 * vw), a3);
            }
            (a0 + b0).Store(acc + c);
            (a1 + b1).Store(acc + c + vw);
            (a2 + b2).Store(acc + c + 2 * vw);
            (a3 + b3).Store(acc + c + 3 * vw);
        }
        for (; c + vw <= hs; c += vw)
        {
            var a0 = V.Load(acc + c) * va;
            for (var k = 0; k < count; k++) a0 = V.Fma(V.Splat(w[k * wStride]), V.Load(rows + k * rowStride + c), a0);
            a0.Store(acc + c);
        }
        for (; c < hs; c++)
        {
            var s = acc[c] * alpha;
            for (var k = 0; k < count; k++) s = MathF.FusedMultiplyAdd(w[k * wStride], rows[k * rowStride + c], s);
            acc[c] = s;
        }
    }
}

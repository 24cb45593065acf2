using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;

namespace Gkd.Native.Cuda;

public sealed partial class CudaBackend
{
    private AttentionKernels? _attention;

    private AttentionKernels AttentionOps => Launcher(ref _attention, () => new AttentionKernels(Runtime));

    /// <summary>
    /// Causal grouped-query attention with left padding, flash-style (see kernels/attention.cu). q, o (B, T, NH, HS) and
    /// k, v (B, T, NKV, HS), one dtype (f32 or bf16), also accepted as (B, T, heads·HS) or (B·T, heads·HS) with B =
    /// start's length; lse (B, NH, T) f32; start (B) i32 in [0, T] (checked on the device). Query t of row b attends keys
    /// start_b … t with scale 1/√HS; pad queries get o = 0, lse = 0.
    /// </summary>
    public void AttentionForward(Tensor o, Tensor lse, Tensor q, Tensor k, Tensor v, Tensor start, int headDim)
    {
        const string op = nameof(AttentionForward);
        var d = AttentionShape.Of(op, q, k, v, start, headDim);
        d.Check(op, "o", o, q, isQuery: true);
        OpCheck.F32(op, "lse", lse);
        OpCheck.Numel(op, "lse", lse, (long)d.B * d.NH * d.T);
        AttentionOps.Forward(Ptr(o), Ptr(lse), Ptr(q), Ptr(k), Ptr(v), Ptr(start), d.B, d.T, d.NH, d.NKV, d.HS, q.DType);
    }

    /// <summary>
    /// dq, dk, dv += the gradients of <see cref="AttentionForward"/> given dout (B, T, NH·HS) and the forward's o and lse
    /// (+=), all activations one dtype. Probabilities are recomputed from lse; delta = Σ dout·o per query first. dq is
    /// summed per query tile, dk and dv per key tile over the group's query heads in ascending order: the same bits on
    /// every run. Pad queries contribute nothing.
    /// </summary>
    public void AttentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dout, Tensor q, Tensor k, Tensor v, Tensor o,
        Tensor lse, Tensor start, int headDim)
    {
        const string op = nameof(AttentionBackward);
        var d = AttentionShape.Of(op, q, k, v, start, headDim);
        d.Check(op, "dq", dq, q, isQuery: true);
        d.Check(op, "dout", dout, q, isQuery: true);
        d.Check(op, "o", o, q, isQuery: true);
        d.Check(op, "dk", dk, q, isQuery: false);
        d.Check(op, "dv", dv, q, isQuery: false);
        OpCheck.F32(op, "lse", lse);
        OpCheck.Numel(op, "lse", lse, (long)d.B * d.NH * d.T);
        var workspace = Arena.Allocate(AttentionKernels.BackwardWorkspaceFloats(d.B, d.T, d.NH) * sizeof(float)); // delta (B, NH, T)
        try
        {
            AttentionOps.Backward(Ptr(dq), Ptr(dk), Ptr(dv), workspace, Ptr(dout), Ptr(q), Ptr(k), Ptr(v), Ptr(o), Ptr(lse),
                Ptr(start), d.B, d.T, d.NH, d.NKV, d.HS, q.DType);
        }
        finally
        {
            Arena.Free(workspace); // stream order: later users of the block run after these kernels
        }
    }

    /// <summary>
    /// Decode-step attention: one query per row, q (B, NH·HS), over the cache slots start_b ≤ s &lt; length of kCache,
    /// vCache (B, NKV, Tmax, HS) (slot length − 1 is the query's own, already written); o (B, NH·HS) (=), all one dtype.
    /// Keys are split over blocks of 128 and warps of 32 and combined in a fixed order; a row without keys gets o = 0.
    /// </summary>
    public void AttentionDecode(Tensor o, Tensor q, Tensor kCache, Tensor vCache, Tensor start, int length, int headDim)
    {
        const string op = nameof(AttentionDecode);
        var c = CacheShape.Of(op, kCache, vCache);
        OpCheck.That(headDim == c.HS, op, $"head size {headDim} differs from the cache's {OpCheck.Describe(kCache)}");
        OpCheck.KernelFloat(op, "q", q); OpCheck.I32(op, "start", start);
        OpCheck.SameDType(op, "q", q, "kCache", kCache); OpCheck.SameDType(op, "o", o, "q", q);
        OpCheck.Numel(op, "start", start, c.B);
        OpCheck.That(q.Numel % ((long)c.B * c.HS) == 0 && q.Numel > 0, op,
            $"q {OpCheck.Describe(q)} must hold B = {c.B} rows of heads of size {c.HS}");
        var nh = checked((int)(q.Numel / ((long)c.B * c.HS)));
        OpCheck.That(nh % c.NKV == 0, op, $"q {OpCheck.Describe(q)} has {nh} heads and the cache {c.NKV}: NKV must divide NH");
        OpCheck.That(c.HS <= AttentionKernels.MaxHeadDim, op, $"head size {c.HS} exceeds {AttentionKernels.MaxHeadDim}");
        OpCheck.Numel(op, "o", o, q.Numel);
        OpCheck.That(length > 0 && length <= c.TMax, op, $"length {length} must be in [1, Tmax = {c.TMax}]");
        var floats = AttentionKernels.DecodeWorkspaceFloats(c.B, nh, c.HS, length);
        var workspace = floats == 0 ? default : Arena.Allocate(floats * sizeof(float)); // (B·NH, splits, HS + 2)
        try
        {
            AttentionOps.Decode(Ptr(o), workspace, Ptr(q), Ptr(kCache), Ptr(vCache), Ptr(start), length, c.TMax, c.B, nh,
                c.NKV, c.HS, q.DType);
        }
        finally
        {
            if (!workspace.IsNull) Arena.Free(workspace); // stream order: later users of the block run after these kernels
        }
    }

    /// <summary>Sizes of an attention call, taken from q, k and start as the CPU backend does.</summary>
    private readonly record struct AttentionShape(int B, int T, int NH, int NKV, int HS)
    {
        /// <summary>
        /// B = start's length; T = q's second axis when q is (B, T, …), else its rows / B; NH and NKV from the element
        /// counts. Checks dtypes (q, k, v one kernel dtype), head grouping and HS ≤ 256.
        /// </summary>
        public static AttentionShape Of(string op, Tensor q, Tensor k, Tensor v, Tensor start, int headDim)
        {
            OpCheck.KernelFloat(op, "q", q); OpCheck.SameDType(op, "k", k, "q", q); OpCheck.SameDType(op, "v", v, "q", q);
            OpCheck.I32(op, "start", start);
            var b = checked((int)start.Numel);
            OpCheck.That(b > 0 && headDim > 0 && headDim <= AttentionKernels.MaxHeadDim, op,
                $"start {OpCheck.Describe(start)} must hold B > 0 entries and HS = {headDim} be in [1, {AttentionKernels.MaxHeadDim}]");
            var rank3 = q.Shape.Rank >= 3;
            OpCheck.That(rank3 ? q.Shape[0] == b : q.Shape.Rows % b == 0, op,
                $"q {OpCheck.Describe(q)} must be (B, T, NH, HS) or (B·T, NH·HS) for B = {b} from start");
            var t = rank3 ? q.Shape[1] : checked((int)(q.Shape.Rows / b));
            var bt = (long)b * t;
            OpCheck.That(t > 0 && q.Numel % (bt * headDim) == 0 && k.Numel % (bt * headDim) == 0 && k.Numel > 0 && v.Numel == k.Numel, op,
                $"q {OpCheck.Describe(q)}, k {OpCheck.Describe(k)} and v {OpCheck.Describe(v)} must hold B·T = {b}·{t} rows " +
                $"of heads of size {headDim}");
            int nh = (int)(q.Numel / (bt * headDim)), nkv = (int)(k.Numel / (bt * headDim));
            OpCheck.That(nh % nkv == 0, op,
                $"q {OpCheck.Describe(q)} has {nh} heads and k {OpCheck.Describe(k)} {nkv}: NKV must divide NH");
            return new AttentionShape(b, t, nh, nkv, headDim);
        }

        /// <summary>x has q's dtype and as many elements as q (B, T, NH, HS), or as k (B, T, NKV, HS).</summary>
        public void Check(string op, string name, Tensor x, Tensor q, bool isQuery)
        {
            OpCheck.SameDType(op, name, x, "q", q);
            var heads = isQuery ? NH : NKV;
            OpCheck.That(x.Numel == (long)B * T * heads * HS, op,
                $"{name} {OpCheck.Describe(x)} must hold (B, T, {(isQuery ? "NH" : "NKV")}, HS) = ({B}, {T}, {heads}, {HS}) elements");
        }
    }
}

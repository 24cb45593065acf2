using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cli.Bench;

/// <summary>
/// Every backend op run on the device backend and on the CPU reference from the same seeded inputs, compared by
/// ‖device − cpu‖∞ / ‖cpu‖∞. Each case builds its inputs, runs the op and returns its outputs (forward and backward).
/// </summary>
internal static class ParityChecks
{
    /// <param name="Bf16Tolerance">The bound with bf16 activations: one op rounds its inputs and output once (2e-2 covers
    /// it); a whole model rounds at every op, so a multi-layer case states its own.</param>
    public sealed record Case(string Name, Func<IBackend, float[][]> Run, double Bf16Tolerance = 2e-2);

    public sealed record Result(string Name, double Error, double Tolerance, string? Failure)
    {
        public bool Passed => Failure is null && Error <= Tolerance;
    }

    public static IReadOnlyList<Case> All { get; } =
    [
        new("matmul x·Wᵀ (bf16 W)", b =>
        {
            var d = new HostData(1);
            using var x = HostData.Act(b, d.Uniform(37 * 300), 37, 300);
            using var w = HostData.As(b, d.Uniform(517 * 300, 0.1f), DType.BF16, 517, 300);
            using var y = b.Allocate(new Shape(37, 517), b.ActivationDType);
            b.Matmul(y, x, w, false, true, 1f, 0f);
            return [y.ToFloatArray()];
        }),
        new("matmul dYᵀ·X → f32 (+=)", b =>
        {
            var d = new HostData(2);
            using var dy = HostData.Act(b, d.Uniform(41 * 33), 41, 33);
            using var x = HostData.Act(b, d.Uniform(41 * 65), 41, 65);
            using var g = HostData.F32(b, d.Uniform(33 * 65), 33, 65);
            b.Matmul(g, dy, x, true, false, 0.5f, 1f);
            return [g.ToFloatArray()];
        }),
        new("add / axpy / scale", b =>
        {
            var d = new HostData(3);
            using var a = HostData.Act(b, d.Uniform(10007), 10007);
            using var c = HostData.Act(b, d.Uniform(10007), 10007);
            using var y = b.Allocate(a.Shape, b.ActivationDType);
            b.Add(y, a, c);
            b.Axpy(y, c, -0.25f);
            b.Scale(y, 1.5f);
            return [y.ToFloatArray()];
        }),
        new("bias add + backward", b =>
        {
            var d = new HostData(4);
            using var y = HostData.Act(b, d.Uniform(129 * 71), 129, 71);
            using var bias = HostData.Act(b, d.Uniform(71), 71);
            using var db = HostData.F32(b, new float[71], 71);
            b.AddBias(y, bias);
            b.AddBiasBackward(db, y);
            return [y.ToFloatArray(), db.ToFloatArray()];
        }),
        new("sum of squares", b =>
        {
            var d = new HostData(5);
            using var x = HostData.Act(b, d.Uniform(300007), 300007);
            using var r = b.Allocate(new Shape(1), DType.F32);
            b.SumOfSquares(r, x, false);
            return [r.ToFloatArray()];
        }),
        new("dropout fwd/bwd", b =>
        {
            var d = new HostData(6);
            using var x = HostData.Act(b, d.Uniform(20011), 20011);
            using var y = b.Allocate(x.Shape, b.ActivationDType);
            using var dx = HostData.Act(b, new float[20011], 20011);
            b.Dropout(y, x, 0.1f, 1234);
            b.DropoutBackward(dx, x, 0.1f, 1234);
            return [y.ToFloatArray(), dx.ToFloatArray()];
        }),
        new("embedding fwd/bwd", b =>
        {
            var d = new HostData(7);
            using var table = HostData.As(b, d.Uniform(1000 * 96), DType.BF16, 1000, 96);
            using var ids = b.FromArray(d.Ints(77, 1000), 77);
            using var y = b.Allocate(new Shape(77, 96), b.ActivationDType);
            using var dt = HostData.F32(b, new float[1000 * 96], 1000, 96);
            b.EmbeddingForward(y, ids, table);
            b.EmbeddingBackward(dt, y, ids);
            return [y.ToFloatArray(), dt.ToFloatArray()];
        }),
        new("swiglu fwd/bwd", b =>
        {
            var d = new HostData(8);
            using var g = HostData.Act(b, d.Uniform(33 * 4864, 3f), 33, 4864);
            using var u = HostData.Act(b, d.Uniform(33 * 4864), 33, 4864);
            using var y = b.Allocate(g.Shape, b.ActivationDType);
            using var dg = HostData.Act(b, new float[33 * 4864], 33, 4864);
            using var du = HostData.Act(b, new float[33 * 4864], 33, 4864);
            b.SwiGluForward(y, g, u);
            b.SwiGluBackward(dg, du, y, g, u);
            return [y.ToFloatArray(), dg.ToFloatArray(), du.ToFloatArray()];
        }),
        new("rmsnorm fwd/bwd (C 896)", b =>
        {
            var d = new HostData(9);
            using var x = HostData.Act(b, d.Uniform(65 * 896), 65, 896);
            using var w = HostData.Act(b, d.Uniform(896), 896);
            using var y = b.Allocate(x.Shape, b.ActivationDType);
            using var rstd = b.Allocate(new Shape(65), DType.F32);
            using var dx = HostData.Act(b, new float[65 * 896], 65, 896);
            using var dw = HostData.F32(b, new float[896], 896);
            b.RmsNormForward(y, rstd, x, w, 1e-6f);
            b.RmsNormBackward(dx, dw, y, x, w, rstd);
            return [y.ToFloatArray(), dx.ToFloatArray(), dw.ToFloatArray()];
        }),
        new("rope fwd/bwd (HS 64, θ 1e6)", b =>
        {
            var d = new HostData(10);
            using var x = HostData.Act(b, d.Uniform(300 * 14 * 64), 300, 14 * 64);
            using var pos = b.FromArray(Enumerable.Range(0, 300).ToArray(), 300);
            using var y = b.Allocate(x.Shape, b.ActivationDType);
            using var dx = HostData.Act(b, new float[300 * 14 * 64], 300, 14 * 64);
            b.RopeForward(y, x, pos, 64, 1e6f);
            b.RopeBackward(dx, y, pos, 64, 1e6f);
            return [y.ToFloatArray(), dx.ToFloatArray()];
        }),
        Attention("attention fwd/bwd (B 2, T 200, NH 14, NKV 2, HS 64)", 2, 200, 14, 2, 64),
        Attention("attention fwd/bwd (B 1, T 129, NH 12, NKV 2, HS 128)", 1, 129, 12, 2, 128),
        new("kv cache + decode (B 3, 14/2 heads, HS 64)", b =>
        {
            var d = new HostData(12);
            const int batch = 3, nh = 14, nkv = 2, hs = 64, tmax = 160, len = 150;
            using var kc = HostData.Act(b, new float[batch * nkv * tmax * hs], batch, nkv, tmax, hs);
            using var vc = HostData.Act(b, new float[batch * nkv * tmax * hs], batch, nkv, tmax, hs);
            using var k = HostData.Act(b, d.Uniform(batch * len * nkv * hs), batch * len, nkv * hs);
            using var v = HostData.Act(b, d.Uniform(batch * len * nkv * hs), batch * len, nkv * hs);
            b.KvCacheWrite(kc, vc, k, v, 0);
            using var q = HostData.Act(b, d.Uniform(batch * nh * hs), batch, nh * hs);
            using var start = b.FromArray(new[] { 0, 7, 149 }, batch);
            using var o = b.Allocate(q.Shape, b.ActivationDType);
            b.AttentionDecode(o, q, kc, vc, start, len, hs);
            return [o.ToFloatArray()];
        }),
        new("distill loss + grad, β 0.5 (3 rows × 151936, in place)", b =>
        {
            var d = new HostData(14);
            using var s = HostData.Act(b, d.Uniform(3 * 151936, 8f), 3, 151936);
            using var t = HostData.Act(b, d.Uniform(3 * 151936, 8f), 3, 151936);
            using var loss = b.Allocate(new Shape(3), DType.F32);
            b.DistillLoss(loss, s, s, t, 0.5f, 1f / 3);
            return [loss.ToFloatArray(), s.ToFloatArray()];
        }),
        new("distill loss, β 0 and 1", b =>
        {
            var d = new HostData(15);
            using var s = HostData.Act(b, d.Uniform(5 * 4099, 6f), 5, 4099);
            using var t = HostData.Act(b, d.Uniform(5 * 4099, 6f), 5, 4099);
            using var l0 = b.Allocate(new Shape(5), DType.F32);
            using var l1 = b.Allocate(new Shape(5), DType.F32);
            b.DistillLoss(l0, null, s, t, 0f, 1f);
            b.DistillLoss(l1, null, s, t, 1f, 1f);
            return [l0.ToFloatArray(), l1.ToFloatArray()];
        }),
        new("greedy sampling (4 rows × 151936)", b =>
        {
            var d = new HostData(16);
            using var z = HostData.Act(b, d.Uniform(4 * 151936, 10f), 4, 151936);
            using var tokens = b.Allocate(new Shape(4), DType.I32);
            b.Sample(tokens, z, 0f, 0, 1f, 7, 0);
            return [tokens.ToIntArray().Select(i => (float)i).ToArray()];
        }),
        new("adamw", b =>
        {
            var d = new HostData(13);
            using var p = HostData.F32(b, d.Uniform(5003), 5003);
            using var m = HostData.F32(b, d.Uniform(5003, 0.01f), 5003);
            using var v = HostData.F32(b, d.Uniform(5003, 0.01f).Select(Math.Abs).ToArray(), 5003);
            using var g = HostData.F32(b, d.Uniform(5003), 5003);
            b.AdamW(p, m, v, g, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 3);
            return [p.ToFloatArray(), m.ToFloatArray(), v.ToFloatArray()];
        }),
        // Two models of 2 layers, ~15 bf16 roundings each on the way to the loss and back: the f32 run matches to 1e-5.
        new("GKD steps: tiny Qwen2 pair, 2 off-policy SGD steps (LoRA B, losses)", StepBench.TinySteps, Bf16Tolerance: 1e-1),
    ];

    private static Case Attention(string name, int batch, int time, int nh, int nkv, int hs) => new(name, b =>
    {
        var d = new HostData(11 + time);
        using var q = HostData.Act(b, d.Uniform(batch * time * nh * hs), batch * time, nh * hs);
        using var k = HostData.Act(b, d.Uniform(batch * time * nkv * hs), batch * time, nkv * hs);
        using var v = HostData.Act(b, d.Uniform(batch * time * nkv * hs), batch * time, nkv * hs);
        using var start = b.FromArray(Enumerable.Range(0, batch).Select(i => i * 5 % time).ToArray(), batch);
        using var o = b.Allocate(q.Shape, b.ActivationDType);
        using var lse = b.Allocate(new Shape(batch, nh, time), DType.F32);
        using var dq = HostData.Act(b, new float[q.Numel], batch * time, nh * hs);
        using var dk = HostData.Act(b, new float[k.Numel], batch * time, nkv * hs);
        using var dv = HostData.Act(b, new float[v.Numel], batch * time, nkv * hs);
        b.AttentionForward(o, lse, q, k, v, start, hs);
        b.AttentionBackward(dq, dk, dv, o, q, k, v, o, lse, start, hs);
        return [o.ToFloatArray(), lse.ToFloatArray(), dq.ToFloatArray(), dk.ToFloatArray(), dv.ToFloatArray()];
    });

    /// <summary>Runs every case on device and reference; the case's tolerance for bf16 activations, 1e-5 for f32 ones (f32 math on both).</summary>
    public static IReadOnlyList<Result> Run(IBackend device, IBackend reference, IEnumerable<Case>? cases = null)
    {
        var results = new List<Result>();
        foreach (var c in cases ?? All)
        {
            var tol = device.ActivationDType == DType.BF16 ? c.Bf16Tolerance : 1e-5;
            try
            {
                var got = c.Run(device);
                var want = c.Run(reference);
                var err = got.Zip(want).Max(p => Error(p.First, p.Second));
                results.Add(new Result(c.Name, err, tol, null));
            }
            catch (Exception e)
            {
                results.Add(new Result(c.Name, double.NaN, tol, e.GetType().Name + ": " + e.Message));
            }
        }
        return results;
    }

    public static double Error(float[] got, float[] want)
    {
        double scale = 0, worst = 0;
        for (var i = 0; i < want.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(want[i]));
            var e = Math.Abs((double)got[i] - want[i]);
            if (double.IsNaN(e)) return double.PositiveInfinity;
            worst = Math.Max(worst, e);
        }
        return scale == 0 ? worst : worst / scale;
    }
}

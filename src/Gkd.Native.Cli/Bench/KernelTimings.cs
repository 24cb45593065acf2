using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cli.Bench;

/// <summary>
/// Device timings at the seed's shapes (Qwen2-0.5B student: C 896, FF 4864, 14/2 heads of 64; 4 rows of 384
/// tokens), each the median of several event-timed repetitions after a warm-up, reported next to the bytes or
/// flops it must move: achieved GB/s against the measured copy bandwidth, TFLOP/s against cuBLAS.
/// </summary>
internal static class KernelTimings
{
    public sealed record Timing(string Name, double Milliseconds, double? GigabytesPerSecond, double? TeraflopsPerSecond);

    public static IReadOnlyList<Timing> Run(IBackend b, Func<Action, float> time)
    {
        var d = new HostData(99);
        var results = new List<Timing>();
        double Median(Action work)
        {
            work();
            var runs = Enumerable.Range(0, 7).Select(_ => (double)time(work)).Order().ToArray();
            return runs[runs.Length / 2];
        }
        void Bytes(string name, double bytes, Action work)
        {
            var ms = Median(work);
            results.Add(new Timing(name, ms, bytes / (ms * 1e-3) / 1e9, null));
        }
        void Flops(string name, double flops, Action work)
        {
            var ms = Median(work);
            results.Add(new Timing(name, ms, null, flops / (ms * 1e-3) / 1e12));
        }

        const long copyElems = 256L << 20; // 512 MiB of bf16
        using (var src = b.Allocate(new Shape((int)copyElems), DType.BF16))
        using (var dst = b.Allocate(new Shape((int)copyElems), DType.BF16))
        {
            b.Fill(src, 1f);
            Bytes("device copy (512 MiB, read + write)", 2.0 * copyElems * 2, () => b.Copy(dst, src));
        }
        foreach (var (m, n, k) in new[] { (8192, 8192, 8192), (1536, 896, 896), (1536, 4864, 896), (1536, 896, 4864), (512, 151936, 896) })
        {
            using var a = HostData.As(b, d.Uniform((long)m * k), DType.BF16, m, k);
            using var w = HostData.As(b, d.Uniform((long)n * k, 0.05f), DType.BF16, n, k);
            using var c = b.Allocate(new Shape(m, n), DType.BF16);
            Flops($"cuBLAS bf16 GEMM {m}×{n}×{k} (x·Wᵀ)", 2.0 * m * n * k, () => b.Matmul(c, a, w, false, true, 1f, 0f));
        }

        const int rows = 1536, c0 = 896, ff = 4864, nh = 14, nkv = 2, hs = 64, batch = 4, t = 384;
        var act = b.ActivationDType.Size();
        using (var x = HostData.Act(b, d.Uniform(rows * c0), rows, c0))
        using (var w = HostData.Act(b, d.Uniform(c0), c0))
        using (var y = b.Allocate(x.Shape, b.ActivationDType))
        using (var rstd = b.Allocate(new Shape(rows), DType.F32))
        {
            Bytes("rmsnorm forward 1536×896", 2.0 * rows * c0 * act, () => b.RmsNormForward(y, rstd, x, w, 1e-6f));
            Bytes("residual add 1536×896", 3.0 * rows * c0 * act, () => b.Add(y, x, y));
        }
        using (var g = HostData.Act(b, d.Uniform((long)rows * ff), rows, ff))
        using (var u = HostData.Act(b, d.Uniform((long)rows * ff), rows, ff))
        using (var y = b.Allocate(g.Shape, b.ActivationDType))
            Bytes("swiglu forward 1536×4864", 3.0 * rows * ff * act, () => b.SwiGluForward(y, g, u));
        using (var q = HostData.Act(b, d.Uniform(rows * nh * hs), rows, nh * hs))
        using (var pos = b.FromArray(Enumerable.Range(0, rows).Select(i => i % t).ToArray(), rows))
        using (var y = b.Allocate(q.Shape, b.ActivationDType))
            Bytes("rope forward 1536×(14·64)", 2.0 * rows * nh * hs * act, () => b.RopeForward(y, q, pos, hs, 1e6f));
        using (var q = HostData.Act(b, d.Uniform(rows * nh * hs), rows, nh * hs))
        using (var k = HostData.Act(b, d.Uniform(rows * nkv * hs), rows, nkv * hs))
        using (var v = HostData.Act(b, d.Uniform(rows * nkv * hs), rows, nkv * hs))
        using (var start = b.FromArray(new int[batch], batch))
        using (var o = b.Allocate(q.Shape, b.ActivationDType))
        using (var lse = b.Allocate(new Shape(batch, nh, t), DType.F32))
        using (var dq = b.Allocate(q.Shape, b.ActivationDType))
        using (var dk = b.Allocate(k.Shape, b.ActivationDType))
        using (var dv = b.Allocate(v.Shape, b.ActivationDType))
        {
            var flops = 4.0 * batch * nh * t * t * hs / 2; // causal: half the score matrix
            Flops("attention forward B4 T384 14/2×64", flops, () => b.AttentionForward(o, lse, q, k, v, start, hs));
            Flops("attention backward B4 T384 14/2×64", 2.5 * flops, () => b.AttentionBackward(dq, dk, dv, o, q, k, v, o, lse, start, hs));
        }
        using (var kc = b.Allocate(new Shape(batch, nkv, 512, hs), b.ActivationDType))
        using (var vc = b.Allocate(new Shape(batch, nkv, 512, hs), b.ActivationDType))
        using (var q = HostData.Act(b, d.Uniform(batch * nh * hs), batch, nh * hs))
        using (var start = b.FromArray(new int[batch], batch))
        using (var o = b.Allocate(q.Shape, b.ActivationDType))
        {
            b.Fill(kc, 0.01f);
            b.Fill(vc, 0.01f);
            Bytes("decode attention B4 len 384 (K+V read)", 2.0 * batch * nkv * 384 * hs * act, () => b.AttentionDecode(o, q, kc, vc, start, 384, hs));
        }
        return results;
    }
}

using Gkd.Native.Core.Tensors;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

[TestFixture(false)]
[TestFixture(true)]
public class AttentionTests(bool wide) : CpuOpTest(wide)
{
    private sealed record Dims(int B, int T, int NH, int NKV, int HS)
    {
        public int Q(int b, int t, int h, int c) => ((b * T + t) * NH + h) * HS + c;
        public int K(int b, int t, int g, int c) => ((b * T + t) * NKV + g) * HS + c;
        public int QCount => B * T * NH * HS;
        public int KCount => B * T * NKV * HS;
    }

    /// <summary>o (B, T, NH, HS), lse (B, NH, T) and the probabilities p (B, NH, T, T), in double.</summary>
    private static (double[] O, double[] Lse, double[] P) Forward(Dims d, double[] q, double[] k, double[] v, int[] start)
    {
        var o = new double[d.QCount];
        var lse = new double[d.B * d.NH * d.T];
        var p = new double[d.B * d.NH * d.T * d.T];
        var s = new double[d.T];
        var scale = 1 / Math.Sqrt(d.HS);
        for (var b = 0; b < d.B; b++)
            for (var h = 0; h < d.NH; h++)
            {
                var g = h / (d.NH / d.NKV);
                for (var i = start[b]; i < d.T; i++)
                {
                    int qi = d.Q(b, i, h, 0), pi = ((b * d.NH + h) * d.T + i) * d.T;
                    var max = double.NegativeInfinity;
                    for (var j = start[b]; j <= i; j++)
                    {
                        var kj = d.K(b, j, g, 0);
                        var dot = 0.0;
                        for (var c = 0; c < d.HS; c++) dot += q[qi + c] * k[kj + c];
                        s[j] = dot * scale;
                        max = Math.Max(max, s[j]);
                    }
                    var sum = 0.0;
                    for (var j = start[b]; j <= i; j++) sum += Math.Exp(s[j] - max);
                    var l = max + Math.Log(sum);
                    lse[(b * d.NH + h) * d.T + i] = l;
                    for (var j = start[b]; j <= i; j++)
                    {
                        var pij = p[pi + j] = Math.Exp(s[j] - l);
                        var vj = d.K(b, j, g, 0);
                        for (var c = 0; c < d.HS; c++) o[qi + c] += pij * v[vj + c];
                    }
                }
            }
        return (o, lse, p);
    }

    /// <summary>The analytic gradients (dq, dk, dv) of L = Σ dout·o given the forward's p, in double.</summary>
    private static (double[] Dq, double[] Dk, double[] Dv) Backward(Dims d, double[] q, double[] k, double[] v, int[] start,
        double[] p, double[] dout)
    {
        double[] dq = new double[d.QCount], dk = new double[d.KCount], dv = new double[d.KCount];
        var dp = new double[d.T];
        var scale = 1 / Math.Sqrt(d.HS);
        for (var b = 0; b < d.B; b++)
            for (var h = 0; h < d.NH; h++)
            {
                var g = h / (d.NH / d.NKV);
                for (var i = start[b]; i < d.T; i++)
                {
                    int qi = d.Q(b, i, h, 0), pi = ((b * d.NH + h) * d.T + i) * d.T;
                    var delta = 0.0;
                    for (var j = start[b]; j <= i; j++)
                    {
                        var vj = d.K(b, j, g, 0);
                        var dot = 0.0;
                        for (var c = 0; c < d.HS; c++) dot += dout[qi + c] * v[vj + c];
                        dp[j] = dot;
                        delta += p[pi + j] * dot;
                    }
                    for (var j = start[b]; j <= i; j++)
                    {
                        var pij = p[pi + j];
                        var ds = pij * (dp[j] - delta) * scale;
                        var kj = d.K(b, j, g, 0);
                        for (var c = 0; c < d.HS; c++)
                        {
                            dq[qi + c] += ds * k[kj + c];
                            dk[kj + c] += ds * q[qi + c];
                            dv[kj + c] += pij * dout[qi + c];
                        }
                    }
                }
            }
        return (dq, dk, dv);
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var group in new[] { 1, 2, 4 })
            foreach (var t in new[] { 1, 7, 33, 130 })
                foreach (var hs in new[] { 8, 64 })
                    yield return new TestCaseData(group, t, hs);
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesDoubleReferenceWithGradientsAndThreadInvariance(int group, int t, int hs)
    {
        const int nkv = 2;
        var d = new Dims(B: 3, T: t, NH: nkv * group, NKV: nkv, HS: hs);
        int[] start = [0, t - 1, t / 3]; // no padding; all but the last position padded; a third padded
        var rng = new Random(group * 10_000 + t * 100 + hs);
        var q = Uniform(rng, d.QCount, 2f);
        var k = Uniform(rng, d.KCount, 2f);
        var v = Uniform(rng, d.KCount);
        var dout = Uniform(rng, d.QCount);
        var dq0 = Uniform(rng, d.QCount);
        var dk0 = Uniform(rng, d.KCount);
        var dv0 = Uniform(rng, d.KCount);
        double[] qd = ToDouble(q), kd = ToDouble(k), vd = ToDouble(v), doutd = ToDouble(dout);
        var (o, lse, p) = Forward(d, qd, kd, vd, start);
        var (dq, dk, dv) = Backward(d, qd, kd, vd, start, p, doutd);

        var nq = d.QCount;
        var nk = d.KCount;
        double Loss(double[] x) => Dot(Forward(d, x[..nq], x[nq..(nq + nk)], x[(nq + nk)..], start).O, doutd);
        AssertDirectionalDerivative(Loss, [.. qd, .. kd, .. vd], [.. dq, .. dk, .. dv], seed: t + hs, "attention");

        float[][]? first = null;
        foreach (var threads in ThreadCounts)
        {
            using var be = Backend(threads);
            using var tq = F32(be, q, d.B, d.T, d.NH, d.HS);
            using var tk = F32(be, k, d.B, d.T, d.NKV, d.HS);
            using var tv = F32(be, v, d.B, d.T, d.NKV, d.HS);
            using var ts = I32(be, start, d.B);
            using var to = be.Allocate(tq.Shape, DType.F32);
            using var tl = be.Allocate(new Shape(d.B, d.NH, d.T), DType.F32);
            be.Fill(to, float.NaN);
            be.Fill(tl, float.NaN);
            be.AttentionForward(to, tl, tq, tk, tv, ts, hs);
            using var tdout = F32(be, dout, d.B, d.T, d.NH, d.HS);
            using var tdq = F32(be, dq0, d.B, d.T, d.NH, d.HS);
            using var tdk = F32(be, dk0, d.B, d.T, d.NKV, d.HS);
            using var tdv = F32(be, dv0, d.B, d.T, d.NKV, d.HS);
            be.AttentionBackward(tdq, tdk, tdv, tdout, tq, tk, tv, to, tl, ts, hs);
            float[][] results = [Read(to), Read(tl), Read(tdq), Read(tdk), Read(tdv)];

            // f32 scores from HS products (|q·k|/√HS ≲ 3), softmax and a weighted sum of |v| ≤ 1: errors of a few
            // 1e-7; 2e-6 absolute bounds o, lse and the gradients (whose size is ≲ 10), plus 1e-5 relative.
            AssertClose(results[0], o, 1e-5, 2e-6, "o");
            AssertClose(results[1], lse, 1e-5, 2e-6, "lse");
            AssertClose(results[2], dq.Select((g, i) => g + dq0[i]).ToArray(), 1e-5, 4e-6, "dq");
            AssertClose(results[3], dk.Select((g, i) => g + dk0[i]).ToArray(), 1e-5, 4e-6, "dk");
            AssertClose(results[4], dv.Select((g, i) => g + dv0[i]).ToArray(), 1e-5, 4e-6, "dv");
            var padMismatches = 0; // pad queries: o = 0 and lse = 0 exactly, dq untouched
            for (var b = 0; b < d.B; b++)
                for (var i = 0; i < start[b]; i++)
                    for (var h = 0; h < d.NH; h++)
                    {
                        if (results[1][(b * d.NH + h) * d.T + i] != 0f) padMismatches++;
                        for (var c = 0; c < hs; c++)
                            if (results[0][d.Q(b, i, h, c)] != 0f || results[2][d.Q(b, i, h, c)] != dq0[d.Q(b, i, h, c)]) padMismatches++;
                    }
            Assert.That(padMismatches, Is.Zero, "pad queries");
            first ??= results;
            for (var r = 0; r < results.Length; r++)
                AssertSameBits(results[r], first[r], $"output {r} at threads {threads}");
        }
    }

    [Test]
    public void AFullyPaddedRowGivesZerosAndNoGradient()
    {
        var d = new Dims(B: 2, T: 5, NH: 2, NKV: 1, HS: 8);
        var rng = new Random(8);
        using var be = Backend();
        using var tq = F32(be, Uniform(rng, d.QCount), d.B, d.T, d.NH * d.HS);
        using var tk = F32(be, Uniform(rng, d.KCount), d.B, d.T, d.NKV * d.HS);
        using var tv = F32(be, Uniform(rng, d.KCount), d.B, d.T, d.NKV * d.HS);
        using var ts = I32(be, [5, 2], d.B);
        using var to = be.Allocate(tq.Shape, DType.F32);
        using var tl = be.Allocate(new Shape(d.B, d.NH, d.T), DType.F32);
        be.AttentionForward(to, tl, tq, tk, tv, ts, d.HS);
        Assert.That(Read(to).Take(d.T * d.NH * d.HS), Is.All.EqualTo(0f));
        Assert.That(Read(tl).Take(d.NH * d.T), Is.All.EqualTo(0f));
        using var tdk = be.Allocate(tk.Shape, DType.F32);
        using var tdq = be.Allocate(tq.Shape, DType.F32);
        using var tdv = be.Allocate(tk.Shape, DType.F32);
        foreach (var g in new[] { tdq, tdk, tdv }) be.Fill(g, 0f);
        be.AttentionBackward(tdq, tdk, tdv, to, tq, tk, tv, to, tl, ts, d.HS);
        Assert.That(Read(tdk).Take(d.T * d.NKV * d.HS), Is.All.EqualTo(0f));
        Assert.That(Read(tdv).Take(d.T * d.NKV * d.HS), Is.All.EqualTo(0f));
    }

    [Test]
    public void HeadCountsThatDoNotGroupAreRejected()
    {
        using var be = Backend();
        using var q = be.Allocate(new Shape(1, 4, 3, 8), DType.F32);
        using var k = be.Allocate(new Shape(1, 4, 2, 8), DType.F32);
        using var s = I32(be, [0], 1);
        using var o = be.Allocate(q.Shape, DType.F32);
        using var l = be.Allocate(new Shape(1, 3, 4), DType.F32);
        Assert.That(() => be.AttentionForward(o, l, q, k, k, s, 8),
            Throws.ArgumentException.With.Message.Contains("AttentionForward").And.Message.Contains("NKV must divide NH"));
    }

    [Test]
    public void RowsViewOfBatchAndTimeGivesTheSameResult()
    {
        // The model passes q (B·T, NH·HS) and k, v (B·T, NKV·HS); B comes from start.
        var d = new Dims(B: 2, T: 9, NH: 4, NKV: 2, HS: 8);
        var rng = new Random(12);
        float[] q = Uniform(rng, d.QCount), k = Uniform(rng, d.KCount), v = Uniform(rng, d.KCount);
        int[] start = [0, 4];
        float[] Run(int[] qDims, int[] kDims)
        {
            using var be = Backend();
            using var tq = F32(be, q, qDims);
            using var tk = F32(be, k, kDims);
            using var tv = F32(be, v, kDims);
            using var ts = I32(be, start, d.B);
            using var to = be.Allocate(tq.Shape, DType.F32);
            using var tl = be.Allocate(new Shape(d.B, d.NH, d.T), DType.F32);
            be.AttentionForward(to, tl, tq, tk, tv, ts, d.HS);
            return Read(to);
        }
        AssertSameBits(Run([d.B * d.T, d.NH * d.HS], [d.B * d.T, d.NKV * d.HS]),
            Run([d.B, d.T, d.NH, d.HS], [d.B, d.T, d.NKV, d.HS]), "(B·T, NH·HS) vs (B, T, NH, HS)");
    }
}

using Gkd.Native.Core.Tensors;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

/// <summary>KvCacheWrite and AttentionDecode against double references, odd sizes and GQA groups 1, 2, 4.</summary>
[TestFixture(false)]
[TestFixture(true)]
public class KvCacheTests(bool wide) : CpuOpTest(wide)
{
    /// <summary>Element (b, g, s, c) of a (B, NKV, Tmax, HS) cache.</summary>
    private static int Slot(int nkv, int tmax, int hs, int b, int g, int s, int c) => ((b * nkv + g) * tmax + s) * hs + c;

    [TestCase(3, 2, 11, 5, 4, 6)]
    [TestCase(2, 1, 7, 13, 1, 0)]
    [TestCase(1, 4, 9, 8, 9, 0)]
    public void WritePlacesEachRowAtItsSlotAndLeavesTheRest(int batch, int nkv, int tmax, int hs, int time, int pos)
    {
        using var be = Backend();
        var rng = new Random(11);
        var kc0 = Uniform(rng, batch * nkv * tmax * hs);
        var vc0 = Uniform(rng, kc0.Length);
        var k = Uniform(rng, batch * time * nkv * hs);
        var v = Uniform(rng, k.Length);
        using var kc = F32(be, kc0, batch, nkv, tmax, hs);
        using var vc = F32(be, vc0, batch, nkv, tmax, hs);
        using var tk = F32(be, k, batch * time, nkv * hs);
        using var tv = F32(be, v, batch * time, nkv * hs);
        be.KvCacheWrite(kc, vc, tk, tv, pos);
        float[] expectK = (float[])kc0.Clone(), expectV = (float[])vc0.Clone();
        for (var b = 0; b < batch; b++)
            for (var t = 0; t < time; t++)
                for (var g = 0; g < nkv; g++)
                    for (var c = 0; c < hs; c++)
                    {
                        var src = ((b * time + t) * nkv + g) * hs + c;
                        expectK[Slot(nkv, tmax, hs, b, g, pos + t, c)] = k[src];
                        expectV[Slot(nkv, tmax, hs, b, g, pos + t, c)] = v[src];
                    }
        AssertSameBits(Read(kc), expectK, "kCache");
        AssertSameBits(Read(vc), expectV, "vCache");
    }

    [Test]
    public void WriteCopiesBf16CachesAsStored()
    {
        using var be = Backend();
        var rng = new Random(12);
        var k = Uniform(rng, 2 * 3 * 2 * 4);
        using var kc = be.Zeros(new Shape(2, 2, 5, 4), DType.BF16);
        using var vc = be.Zeros(new Shape(2, 2, 5, 4), DType.BF16);
        using var tk = Stored(be, k, DType.BF16, 2 * 3, 2 * 4);
        be.KvCacheWrite(kc, vc, tk, tk, 2);
        using var back = be.Allocate(kc.Shape, DType.F32);
        be.Copy(back, kc);
        using var rounded = be.Allocate(tk.Shape, DType.F32);
        be.Copy(rounded, tk);
        var r = Read(rounded);
        var cache = Read(back);
        for (var b = 0; b < 2; b++)
            for (var t = 0; t < 3; t++)
                for (var g = 0; g < 2; g++)
                    for (var c = 0; c < 4; c++)
                        Assert.That(cache[Slot(2, 5, 4, b, g, 2 + t, c)], Is.EqualTo(r[((b * 3 + t) * 2 + g) * 4 + c]));
    }

    [Test]
    public void WriteRefusesSlotsPastTheCacheAndMixedDtypes()
    {
        using var be = Backend();
        using var kc = be.Zeros(new Shape(2, 1, 4, 3), DType.F32);
        using var vc = be.Zeros(new Shape(2, 1, 4, 3), DType.F32);
        using var k = be.Zeros(new Shape(2 * 2, 3), DType.F32);
        using var kb = be.Zeros(new Shape(2 * 2, 3), DType.BF16);
        Assert.That(() => be.KvCacheWrite(kc, vc, k, k, 3), Throws.ArgumentException.With.Message.Contains("Tmax = 4"));
        Assert.That(() => be.KvCacheWrite(kc, vc, kb, kb, 0), Throws.ArgumentException.With.Message.Contains("dtype"));
    }

    /// <summary>o (B, NH·HS) of one decode query per row over slots [start_b, length), in double.</summary>
    private static double[] DecodeReference(float[] q, float[] kc, float[] vc, int[] start, int length,
        int batch, int nh, int nkv, int tmax, int hs)
    {
        var o = new double[batch * nh * hs];
        for (var b = 0; b < batch; b++)
            for (var h = 0; h < nh; h++)
            {
                var g = h / (nh / nkv);
                var scores = new double[length];
                var max = double.NegativeInfinity;
                for (var s = start[b]; s < length; s++)
                {
                    double dot = 0;
                    for (var c = 0; c < hs; c++) dot += (double)q[(b * nh + h) * hs + c] * kc[Slot(nkv, tmax, hs, b, g, s, c)];
                    scores[s] = dot / Math.Sqrt(hs);
                    max = Math.Max(max, scores[s]);
                }
                double sum = 0;
                for (var s = start[b]; s < length; s++) sum += scores[s] = Math.Exp(scores[s] - max);
                for (var s = start[b]; s < length; s++)
                    for (var c = 0; c < hs; c++)
                        o[(b * nh + h) * hs + c] += scores[s] / sum * vc[Slot(nkv, tmax, hs, b, g, s, c)];
            }
        return o;
    }

    [TestCase(4, 4, 8)]
    [TestCase(4, 2, 5)]
    [TestCase(4, 1, 13)]
    [TestCase(6, 2, 67)]
    [TestCase(8, 4, 64)]
    public void DecodeMatchesDoubleReference(int nh, int nkv, int hs)
    {
        const int batch = 3, tmax = 23, length = 19;
        int[] start = [0, 4, 18];
        var rng = new Random(nh * 100 + nkv * 10 + hs);
        var q = Uniform(rng, batch * nh * hs, 2f);
        var kc = Uniform(rng, batch * nkv * tmax * hs, 2f);
        var vc = Uniform(rng, kc.Length);
        var expected = DecodeReference(q, kc, vc, start, length, batch, nh, nkv, tmax, hs);
        float[]? first = null;
        foreach (var threads in ThreadCounts)
        {
            using var be = Backend(threads);
            using var tq = F32(be, q, batch, nh * hs);
            using var tk = F32(be, kc, batch, nkv, tmax, hs);
            using var tv = F32(be, vc, batch, nkv, tmax, hs);
            using var ts = I32(be, start, batch);
            using var o = be.Allocate(new Shape(batch, nh * hs), DType.F32);
            be.AttentionDecode(o, tq, tk, tv, ts, length, hs);
            var actual = Read(o);
            AssertClose(actual, expected, 1e-5, 1e-6, $"o with {threads} threads");
            if (first is null) first = actual;
            else AssertSameBits(actual, first, $"o with {threads} threads vs 1");
        }
    }

    [TestCase(4, 2, 8)]
    [TestCase(4, 1, 5)]
    public void DecodeOverAWrittenCacheEqualsTheCausalForwardsLastQuery(int nh, int nkv, int hs)
    {
        const int batch = 2, time = 9, tmax = 12;
        int[] start = [0, 3];
        var rng = new Random(7 + hs);
        var q = Uniform(rng, batch * time * nh * hs, 2f);
        var k = Uniform(rng, batch * time * nkv * hs, 2f);
        var v = Uniform(rng, k.Length);
        using var be = Backend();
        using var tq = F32(be, q, batch * time, nh * hs);
        using var tk = F32(be, k, batch * time, nkv * hs);
        using var tv = F32(be, v, batch * time, nkv * hs);
        using var ts = I32(be, start, batch);
        using var o = be.Allocate(tq.Shape, DType.F32);
        using var lse = be.Allocate(new Shape(batch, nh, time), DType.F32);
        be.AttentionForward(o, lse, tq, tk, tv, ts, hs);
        using var kc = be.Zeros(new Shape(batch, nkv, tmax, hs), DType.F32);
        using var vc = be.Zeros(new Shape(batch, nkv, tmax, hs), DType.F32);
        be.KvCacheWrite(kc, vc, tk, tv, 0);
        var lastQ = new float[batch * nh * hs];
        var forward = Read(o);
        var expected = new double[lastQ.Length];
        for (var b = 0; b < batch; b++)
            for (var i = 0; i < nh * hs; i++)
            {
                lastQ[b * nh * hs + i] = q[(b * time + time - 1) * nh * hs + i];
                expected[b * nh * hs + i] = forward[(b * time + time - 1) * nh * hs + i];
            }
        using var tLast = F32(be, lastQ, batch, nh * hs);
        using var od = be.Allocate(tLast.Shape, DType.F32);
        be.AttentionDecode(od, tLast, kc, vc, ts, time, hs);
        AssertClose(Read(od), expected, 1e-5, 1e-6, "decode vs forward");
    }

    [Test]
    public void DecodeRefusesBadArguments()
    {
        using var be = Backend();
        using var kc = be.Zeros(new Shape(2, 2, 6, 4), DType.F32);
        using var q = be.Zeros(new Shape(2, 3 * 4), DType.F32);
        using var q4 = be.Zeros(new Shape(2, 4 * 4), DType.F32);
        using var o = be.Zeros(new Shape(2, 4 * 4), DType.F32);
        using var start = I32(be, [0, 5], 2);
        Assert.Multiple(() =>
        {
            Assert.That(() => be.AttentionDecode(o, q4, kc, kc, start, 5, 4), Throws.ArgumentException.With.Message.Contains("start[1] = 5"));
            Assert.That(() => be.AttentionDecode(o, q4, kc, kc, start, 7, 4), Throws.ArgumentException.With.Message.Contains("Tmax = 6"));
            Assert.That(() => be.AttentionDecode(o, q4, kc, kc, start, 6, 8), Throws.ArgumentException.With.Message.Contains("headDim 8"));
            Assert.That(() => be.AttentionDecode(o, q, kc, kc, start, 6, 4), Throws.ArgumentException.With.Message.Contains("NKV must divide NH"));
        });
    }
}

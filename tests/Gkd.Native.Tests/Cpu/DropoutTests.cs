using Gkd.Native.Core.Random;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

[TestFixture(false)]
[TestFixture(true)]
public class DropoutTests(bool wide) : CpuOpTest(wide)
{
    [Test]
    public void KeepsExactlyTheElementsWhoseUniformReachesP()
    {
        const int n = 1003;
        const float p = 0.3f;
        const ulong seed = 42;
        var x = Uniform(new Random(1), n);
        using var be = Backend();
        using var tx = F32(be, x, 17, 59);
        using var ty = be.Allocate(tx.Shape, tx.DType);
        be.Dropout(ty, tx, p, seed);
        var y = Read(ty);
        var scale = 1f / (1f - p);
        for (var i = 0; i < n; i++)
        {
            var expected = Philox.Uniform(seed, (ulong)i) >= p ? x[i] * scale : 0f;
            Assert.That(y[i], Is.EqualTo(expected), $"element {i}");
        }
    }

    [Test]
    public void KeepRateIsWithinABinomialBound()
    {
        const int n = 200_003;
        using var be = Backend();
        using var tx = F32(be, Enumerable.Repeat(1f, n).ToArray(), n);
        using var ty = be.Allocate(tx.Shape, tx.DType);
        foreach (var p in new[] { 0.05f, 0.1f, 0.5f, 0.9f })
        {
            be.Dropout(ty, tx, p, seed: 7);
            var kept = Read(ty).Count(v => v != 0f);
            // Binomial(n, 1 − p): 6 standard deviations, a false alarm far below 1e-8 per draw.
            var sd = Math.Sqrt(n * p * (1 - p));
            Assert.That(kept, Is.EqualTo(n * (1 - p)).Within(6 * sd), $"p = {p}");
        }
    }

    [Test]
    public void MasksOfNeighbouringSeedsAreUnrelated()
    {
        const int n = 100_000;
        const float p = 0.5f;
        using var be = Backend();
        using var tx = F32(be, Enumerable.Repeat(1f, n).ToArray(), n);
        using var ta = be.Allocate(tx.Shape, tx.DType);
        using var tb = be.Allocate(tx.Shape, tx.DType);
        be.Dropout(ta, tx, p, seed: 1000);
        be.Dropout(tb, tx, p, seed: 1001);
        var a = Read(ta);
        var b = Read(tb);
        var agree = Enumerable.Range(0, n).Count(i => (a[i] == 0) == (b[i] == 0));
        // Independent masks agree with probability p² + (1 − p)² = 0.5; 6 standard deviations.
        Assert.That(agree, Is.EqualTo(n * 0.5).Within(6 * Math.Sqrt(n * 0.25)));
    }

    [Test]
    public void SameSeedReproducesTheMaskAndBackwardUsesIt()
    {
        const int n = 4099;
        const float p = 0.25f;
        var rng = new Random(3);
        var x = Uniform(rng, n);
        var dy = Uniform(rng, n);
        var dx0 = Uniform(rng, n);
        using var be = Backend();
        using var tx = F32(be, x, n);
        using var t1 = be.Allocate(tx.Shape, tx.DType);
        using var t2 = be.Allocate(tx.Shape, tx.DType);
        be.Dropout(t1, tx, p, seed: 99);
        be.Dropout(t2, tx, p, seed: 99);
        var y = Read(t1);
        Assert.That(Read(t2), Is.EqualTo(y));
        using var tdy = F32(be, dy, n);
        using var tdx = F32(be, dx0, n);
        be.DropoutBackward(tdx, tdy, p, seed: 99);
        var dx = Read(tdx);
        var scale = 1f / (1f - p);
        for (var i = 0; i < n; i++)
        {
            var kept = Philox.Uniform(99, (ulong)i) >= p;
            Assert.That(y[i] != 0f, Is.EqualTo(kept && x[i] != 0f), $"forward mask at {i}");
            Assert.That(dx[i], Is.EqualTo(dx0[i] + (kept ? dy[i] * scale : 0f)), $"backward at {i}");
        }
    }

    [Test]
    public void InPlaceAndThreadCountsGiveTheSameBits()
    {
        const int n = 50_001;
        var x = Uniform(new Random(5), n);
        float[]? expected = null;
        foreach (var threads in ThreadCounts)
        {
            using var be = Backend(threads);
            using var t = F32(be, x, n);
            be.Dropout(t, t, 0.2f, seed: 11);
            var y = Read(t);
            expected ??= y;
            AssertSameBits(y, expected, $"threads {threads}");
        }
    }

    [Test]
    public void ZeroProbabilityCopiesAndOneZeroes()
    {
        var x = Uniform(new Random(6), 101);
        using var be = Backend();
        using var tx = F32(be, x, 101);
        using var ty = be.Allocate(tx.Shape, tx.DType);
        be.Dropout(ty, tx, 0f, seed: 1);
        Assert.That(Read(ty), Is.EqualTo(x));
        be.Dropout(ty, tx, 1f, seed: 1);
        Assert.That(Read(ty), Is.All.EqualTo(0f));
        Assert.That(() => be.Dropout(ty, tx, 1.5f, seed: 1), Throws.ArgumentException.With.Message.Contains("Dropout"));
    }
}

using Gkd.Native.Core.Random;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using Gkd.Native.Tests.Support;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

/// <summary>
/// Sample against a double reference of its contract (temperature, top-k, top-p, the inverse-CDF draw in vocabulary
/// order), greedy ties, seeding, and token frequencies by chi-square.
/// </summary>
[TestFixture(false)]
[TestFixture(true)]
public class SamplingTests(bool wide) : CpuOpTest(wide)
{
    /// <summary>
    /// The contract in double: kept[i] and the unnormalised p_i = e^(z_i − max z) with z = x / T rounded to f32 as
    /// the op does; top-k keeps z ≥ the k-th largest, top-p keeps by decreasing p (ties by index) while the
    /// preceding mass is below top_p of the total.
    /// </summary>
    private static double[] KeptWeights(float[] x, float temperature, int topK, float topP)
    {
        var n = x.Length;
        var z = x.Select(xi => xi / temperature).ToArray();
        var max = z.Max();
        var kth = topK > 0 && topK < n ? z.OrderByDescending(v => v).ElementAt(topK - 1) : float.NegativeInfinity;
        var p = new double[n];
        for (var i = 0; i < n; i++) p[i] = z[i] >= kth ? Math.Exp((double)z[i] - max) : 0;
        if (topP >= 1f) return p;
        var target = topP * p.Sum();
        var order = Enumerable.Range(0, n).Where(i => p[i] > 0).OrderByDescending(i => p[i]).ThenBy(i => i).ToArray();
        var keep = new bool[n];
        double preceding = 0;
        foreach (var i in order)
        {
            if (preceding >= target) break;
            keep[i] = true;
            preceding += p[i];
        }
        for (var i = 0; i < n; i++) if (!keep[i]) p[i] = 0;
        return p;
    }

    private int[] Draw(float[] logits, int rows, int v, float temperature, int topK, float topP, ulong seed, ulong offset, int threads = 2)
    {
        using var be = Backend(threads);
        using var x = F32(be, logits, rows, v);
        using var tokens = be.Allocate(new Shape(rows), DType.I32);
        be.Sample(tokens, x, temperature, topK, topP, seed, offset);
        return tokens.ToIntArray();
    }

    [TestCase(37)]
    [TestCase(1000)]
    [TestCase(5003)]
    public void GreedyTakesTheLowestIndexAmongTies(int v)
    {
        var rng = new Random(v);
        var rows = 4;
        var x = Uniform(rng, rows * v);
        int[][] maxima = [[3, 7], [v - 1], [0, v - 1], [v / 2, v / 2 + 1, v - 2]];
        for (var r = 0; r < rows; r++)
            foreach (var i in maxima[r]) x[r * v + i] = 5f;
        var tokens = Draw(x, rows, v, 0f, 0, 1f, 1, 0);
        Assert.That(tokens, Is.EqualTo(maxima.Select(m => m.Min()).ToArray()));
    }

    [TestCase(37, 1f, 0, 1f)]
    [TestCase(37, 0.7f, 5, 1f)]
    [TestCase(37, 1.3f, 0, 0.6f)]
    [TestCase(5003, 1f, 0, 1f)]
    [TestCase(5003, 0.9f, 50, 1f)]
    [TestCase(5003, 0.5f, 0, 0.9f)]
    [TestCase(5003, 1f, 400, 0.8f)]
    public void EachDrawIsTheInverseCdfOfItsUniform(int v, float temperature, int topK, float topP)
    {
        const int rows = 64;
        const ulong seed = 1234, offset = 77;
        var rng = new Random(v + topK);
        var x = Uniform(rng, rows * v, 4f);
        var tokens = Draw(x, rows, v, temperature, topK, topP, seed, offset);
        for (var r = 0; r < rows; r++)
        {
            var p = KeptWeights(x[(r * v)..((r + 1) * v)], temperature, topK, topP);
            var total = p.Sum();
            var target = Philox.Uniform(seed, offset + (ulong)r) * total;
            var t = tokens[r];
            Assert.That(p[t], Is.GreaterThan(0), $"row {r}: token {t} is filtered out");
            var before = p.Take(t).Sum();
            var slack = 1e-9 * total;
            Assert.That(before, Is.LessThanOrEqualTo(target + slack), $"row {r}: token {t} starts after the target");
            Assert.That(before + p[t], Is.GreaterThan(target - slack), $"row {r}: token {t} ends before the target");
        }
    }

    [Test]
    public void TopKKeepsEveryTieOfTheKthValue()
    {
        float[] x = [5f, 3f, 3f, 3f, 1f, 0f];
        const int rows = 2000;
        var tokens = Draw(Enumerable.Repeat(x, rows).SelectMany(r => r).ToArray(), rows, x.Length, 1f, 2, 1f, 9, 0);
        Assert.That(tokens.Distinct().Order(), Is.EqualTo(new[] { 0, 1, 2, 3 }));
    }

    [TestCase(new[] { 0.1, 0.5, 0.25, 0.15 }, 0.7f, new[] { 1, 2 })]
    [TestCase(new[] { 0.1, 0.5, 0.25, 0.15 }, 0.45f, new[] { 1 })]
    [TestCase(new[] { 0.3, 0.3, 0.3, 0.1 }, 0.5f, new[] { 0, 1 })]
    [TestCase(new[] { 0.3, 0.3, 0.3, 0.1 }, 0.95f, new[] { 0, 1, 2, 3 })]
    public void TopPKeepsTheSmallestMostLikelySetReachingTheMass(double[] probabilities, float topP, int[] kept)
    {
        var x = probabilities.Select(q => (float)Math.Log(q)).ToArray();
        const int rows = 4000;
        var tokens = Draw(Enumerable.Repeat(x, rows).SelectMany(r => r).ToArray(), rows, x.Length, 1f, 0, topP, 5, 0);
        Assert.That(tokens.Distinct().Order(), Is.EqualTo(kept));
    }

    [TestCase(1f, 0, 1f)]
    [TestCase(0.8f, 0, 1f)]
    [TestCase(0.8f, 40, 1f)]
    [TestCase(0.8f, 0, 0.9f)]
    [TestCase(1.2f, 300, 0.7f)]
    public void FrequenciesFitTheFilteredSoftmax(float temperature, int topK, float topP)
    {
        const int v = 2100, rows = 400, calls = 50; // 2·10⁴ draws over two blocks of the draw
        var rng = new Random(31);
        var row = Uniform(rng, v, 3f);
        var x = Enumerable.Repeat(row, rows).SelectMany(r => r).ToArray();
        var counts = new long[v];
        using var be = Backend();
        using var tx = F32(be, x, rows, v);
        using var tokens = be.Allocate(new Shape(rows), DType.I32);
        for (var c = 0; c < calls; c++)
        {
            be.Sample(tokens, tx, temperature, topK, topP, 2024, (ulong)c * rows);
            foreach (var t in tokens.ToIntArray()) counts[t]++;
        }
        var p = KeptWeights(row, temperature, topK, topP);
        var total = p.Sum();
        ChiSquare.AssertFits(counts, p.Select(w => w / total).ToArray(), $"T = {temperature}, top_k = {topK}, top_p = {topP}");
    }

    [Test]
    public void DrawsDependOnlyOnSeedAndStreamIndex()
    {
        const int v = 301, rows = 16;
        var rng = new Random(3);
        var row = Uniform(rng, v, 3f);
        var x = Enumerable.Repeat(row, rows).SelectMany(r => r).ToArray();
        var a = Draw(x, rows, v, 0.9f, 0, 1f, 42, 100, threads: 1);
        Assert.Multiple(() =>
        {
            Assert.That(Draw(x, rows, v, 0.9f, 0, 1f, 42, 100, threads: 3), Is.EqualTo(a), "thread count");
            Assert.That(Draw(x, rows, v, 0.9f, 0, 1f, 42, 103)[..(rows - 3)], Is.EqualTo(a[3..]), "row b at offset o is stream element o + b");
            Assert.That(Draw(x, rows, v, 0.9f, 0, 1f, 43, 100), Is.Not.EqualTo(a), "another seed");
        });
    }

    [Test]
    public void LogitsAreNotChanged()
    {
        var rng = new Random(8);
        var x = Uniform(rng, 3 * 2100, 5f);
        using var be = Backend();
        using var tx = F32(be, x, 3, 2100);
        using var tokens = be.Allocate(new Shape(3), DType.I32);
        be.Sample(tokens, tx, 0.7f, 10, 0.8f, 1, 0);
        be.Sample(tokens, tx, 0f, 0, 1f, 1, 0);
        AssertSameBits(Read(tx), x, "logits");
    }

    [Test]
    public void LargeVocabularyDefaultFiltersNeedNoSort()
    {
        const int v = 151936, rows = 4;
        var rng = new Random(5);
        var x = Uniform(rng, rows * v, 8f);
        var tokens = Draw(x, rows, v, 0.9f, 0, 1f, 77, 0);
        for (var r = 0; r < rows; r++)
        {
            var p = KeptWeights(x[(r * v)..((r + 1) * v)], 0.9f, 0, 1f);
            var target = Philox.Uniform(77, (ulong)r) * p.Sum();
            var before = p.Take(tokens[r]).Sum();
            Assert.That(before <= target + 1e-9 && before + p[tokens[r]] > target - 1e-9, $"row {r}: token {tokens[r]}");
        }
    }

    [Test]
    public void RefusesBadSettingsAndNonFiniteRows()
    {
        using var be = Backend();
        using var x = F32(be, [1f, 2f, float.NaN, 0f], 2, 2);
        using var ok = F32(be, [1f, 2f, 3f, 0f], 2, 2);
        using var tokens = be.Allocate(new Shape(2), DType.I32);
        using var wrong = be.Allocate(new Shape(3), DType.I32);
        Assert.Multiple(() =>
        {
            Assert.That(() => be.Sample(tokens, ok, -1f, 0, 1f, 0, 0), Throws.ArgumentException.With.Message.Contains("temperature"));
            Assert.That(() => be.Sample(tokens, ok, float.NaN, 0, 1f, 0, 0), Throws.ArgumentException.With.Message.Contains("temperature"));
            Assert.That(() => be.Sample(tokens, ok, 1f, -1, 1f, 0, 0), Throws.ArgumentException.With.Message.Contains("top_k"));
            Assert.That(() => be.Sample(tokens, ok, 1f, 0, 0f, 0, 0), Throws.ArgumentException.With.Message.Contains("top_p"));
            Assert.That(() => be.Sample(tokens, ok, 1f, 0, 1.5f, 0, 0), Throws.ArgumentException.With.Message.Contains("top_p"));
            Assert.That(() => be.Sample(wrong, ok, 1f, 0, 1f, 0, 0), Throws.ArgumentException.With.Message.Contains("tokens"));
            Assert.That(() => be.Sample(tokens, x, 1f, 0, 1f, 0, 0), Throws.ArgumentException.With.Message.Contains("row 1"));
        });
    }
}

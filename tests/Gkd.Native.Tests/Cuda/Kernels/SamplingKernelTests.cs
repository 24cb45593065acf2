using System.Runtime.InteropServices;
using Gkd.Native.Core.Random;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Kernels;

/// <summary>
/// kernels/sampling.cu under emulation, through the CUDA backend, against the Sample contract written out below in
/// double (transformers' temperature, top-k, top-p, then the first token whose cumulative kept probability exceeds
/// u·total with u = Philox.Uniform(seed, offset + row)). Exact token comparisons need every decision — the draw's
/// boundary and top-p's cut — to lie more than <see cref="Margin"/> (relative to the kept mass) from where f32 rounding
/// could flip it, so each case takes the first logits/offset pair whose decisions all keep that margin.
/// </summary>
[Category("KernelEmulation")]
[TestFixture(DType.F32)]
[TestFixture(DType.BF16)]
public sealed class SamplingKernelTests(DType logitsDType)
{
    private const ulong Seed = 0x5eed;
    private const double Margin = 1e-4;
    private const int Attempts = 400;

    private BackendPair _pair = null!;

    [OneTimeSetUp]
    public void Create() => _pair = new BackendPair(DType.F32);

    [OneTimeTearDown]
    public void Dispose() => _pair.Dispose();

    [TestCase(37, 4, 0.9f, 0, 1f)]
    [TestCase(1001, 4, 0.9f, 0, 1f)]
    [TestCase(4099, 3, 1.3f, 0, 1f)]
    [TestCase(151936, 1, 0.9f, 0, 1f)]
    [TestCase(1001, 4, 1f, 1, 1f)]
    [TestCase(37, 4, 0.9f, 5, 1f)]
    [TestCase(1001, 4, 0.7f, 5, 1f)]
    [TestCase(37, 4, 0.9f, 0, 0.9f)]
    [TestCase(1001, 4, 0.9f, 0, 0.3f)]
    [TestCase(4099, 3, 0.6f, 0, 0.9f)]
    [TestCase(1001, 4, 0.9f, 0, 0f)]
    [TestCase(1001, 4, 0.9f, 5, 0.9f)]
    [TestCase(4099, 3, 0.8f, 50, 0.3f)]
    [TestCase(151936, 1, 0.9f, 50, 0.9f)]
    public void Draws_MatchTheContract(int v, int rows, float temperature, int topK, float topP)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var logits = Logits(rows, v, seed: v + 7919 * attempt);
            var offset = (ulong)attempt * 1_000_003;
            var expected = new int[rows];
            var margin = double.PositiveInfinity;
            for (var b = 0; b < rows; b++)
            {
                var p = Distribution(logits.AsSpan(b * v, v), temperature, topK, topP, out var cutMargin);
                (expected[b], var drawMargin) = Draw(p, Philox.Uniform(Seed, offset + (ulong)b));
                margin = Math.Min(margin, Math.Min(cutMargin, drawMargin));
            }
            if (margin < Margin) continue;
            Assert.That(Sample(logits, rows, v, temperature, topK, topP, offset), Is.EqualTo(expected),
                $"attempt {attempt}: every decision at least {margin:E2} of the kept mass from its boundary");
            return;
        }
        Assert.Fail($"no logits/offset pair in {Attempts} attempts keeps every decision {Margin} from its boundary");
    }

    [TestCase(37)]
    [TestCase(1001)]
    [TestCase(151936)]
    public void Greedy_TakesTheLowestIndexAmongTheMaxima(int v)
    {
        const int rows = 4;
        var logits = Logits(rows, v, seed: v);
        var rng = new Random(v);
        // Row 0: the maximum three times; row 1: all equal; row 2: the maximum last; row 3: as drawn (bf16 may tie).
        var top = logits.Max() + 1f;
        var at = Enumerable.Range(0, 3).Select(_ => rng.Next(v)).Order().ToArray();
        foreach (var i in at) logits[i] = top;
        logits.AsSpan(v, v).Fill(-0.5f);
        logits[3 * v - 1] = top;
        logits = Rounded(logits);
        var expected = new int[rows];
        for (var b = 0; b < rows; b++)
        {
            var row = logits.AsSpan(b * v, v);
            var max = float.NegativeInfinity;
            foreach (var x in row) max = MathF.Max(max, x);
            expected[b] = row.IndexOf(max);
        }
        Assert.That(expected[0], Is.EqualTo(at[0]));
        Assert.That(Sample(logits, rows, v, 0f, 5, 0.5f, 0), Is.EqualTo(expected));
    }

    [TestCase(0, 1f)]
    [TestCase(7, 0.9f)]
    public void Frequencies_FollowTheKeptDistribution(int topK, float topP)
    {
        // 10 000 rows of the same 9 logits draw with u at offsets 0 … 9 999. Pearson's χ² against the exact kept
        // probabilities, with an even number of degrees of freedom (an odd count of kept tokens) so that its upper
        // tail is the closed form e^(−χ²/2) Σ_{i<df/2} (χ²/2)^i / i!; failing at p < 1e-6 it raises a false alarm once in a
        // million runs.
        const int rows = 10_000, v = 9;
        const float temperature = 0.9f;
        float[] row = [0.3f, -1.2f, 2f, 0f, 1.1f, -0.4f, 0.7f, 1.6f, -2.5f];
        row = Rounded(row);
        var p = Distribution(row, temperature, topK, topP, out var cutMargin);
        var kept = p.Count(q => q > 0);
        Assert.That(kept % 2, Is.EqualTo(1), "an odd number of kept tokens");
        Assert.That(cutMargin, Is.GreaterThan(0.01), "top-p's cut is not a rounding question");
        Assert.That(p.Where(q => q > 0).Min() * rows, Is.GreaterThanOrEqualTo(5), "every expected count is at least 5");

        var logits = Enumerable.Repeat(row, rows).SelectMany(r => r).ToArray();
        var tokens = Sample(logits, rows, v, temperature, topK, topP, 0);

        var observed = new int[v];
        foreach (var t in tokens) observed[t]++;
        var chiSquare = 0.0;
        for (var i = 0; i < v; i++)
        {
            if (p[i] == 0)
            {
                Assert.That(observed[i], Is.Zero, $"token {i} is filtered out but was drawn");
                continue;
            }
            var e = p[i] * rows;
            chiSquare += (observed[i] - e) * (observed[i] - e) / e;
        }
        var pValue = ChiSquareUpperTail(chiSquare, kept - 1);
        Assert.That(pValue, Is.GreaterThan(1e-6),
            $"χ² = {chiSquare:F2} with {kept - 1} degrees of freedom; observed {string.Join(", ", observed)}");
    }

    [Test]
    public void TopK_KeepsNegativeZeroBesidePositiveZero()
    {
        // Logits [2, +0, −0, −3] with top-k 2: the second largest is 0, and −0 ≥ 0, so three tokens stay (probabilities
        // 0.79, 0.11, 0.11). 200 draws take token 2 unless it were dropped (chance 0.89^200 ≈ 2e-10), and never token 3.
        const int rows = 200, v = 4;
        var logits = Enumerable.Repeat(new[] { 2f, 0f, -0f, -3f }, rows).SelectMany(r => r).ToArray();
        var tokens = Sample(logits, rows, v, 1f, 2, 1f, 0);
        Assert.That(tokens, Has.Some.EqualTo(2).And.None.EqualTo(3));
    }

    [TestCase(0, 1f)]
    [TestCase(50, 0.9f)]
    public void TwoRuns_DrawTheSameTokens(int topK, float topP)
    {
        const int rows = 8, v = 4099;
        var logits = Logits(rows, v, seed: 3);
        var first = Sample(logits, rows, v, 0.9f, topK, topP, 77);
        Assert.That(Sample(logits, rows, v, 0.9f, topK, topP, 77), Is.EqualTo(first));
    }

    [TestCase(-1f, 0, 1f)]
    [TestCase(0.9f, -1, 1f)]
    [TestCase(0.9f, 0, 1.5f)]
    [TestCase(float.NaN, 0, 1f)]
    [TestCase(1e-45f, 0, 1f)]
    public void InvalidSettings_AreRejected(float temperature, int topK, float topP)
    {
        using var logits = _pair.Cuda.Allocate(new Shape(2, 5), logitsDType);
        using var tokens = _pair.Cuda.Allocate(new Shape(2), DType.I32);
        Assert.That(() => _pair.Cuda.Sample(tokens, logits, temperature, topK, topP, Seed, 0), Throws.ArgumentException);
    }

    /// <summary>
    /// Logits (rows, v): uniform in ±3, four tokens 6 higher (so that draws land inside wide tokens often enough for the
    /// margin) and two at -inf (never drawn); rounded to bf16 when the fixture's logits are bf16.
    /// </summary>
    private float[] Logits(int rows, int v, int seed)
    {
        var logits = BackendPair.Random(seed, (long)rows * v, 3f);
        var rng = new Random(seed);
        for (var b = 0; b < rows; b++)
        {
            for (var i = 0; i < 4; i++) logits[b * v + rng.Next(v)] += 6f;
            for (var i = 0; i < 2; i++) logits[b * v + rng.Next(v)] = float.NegativeInfinity;
        }
        return Rounded(logits);
    }

    /// <summary>The values the kernel sees: as given for f32 logits, rounded to nearest even for bf16.</summary>
    private float[] Rounded(float[] values) =>
        logitsDType == DType.BF16 ? values.Select(x => BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(x))).ToArray() : values;

    /// <summary>The CUDA backend's draws for logits (rows, v) stored in the fixture's dtype.</summary>
    private int[] Sample(float[] logits, int rows, int v, float temperature, int topK, float topP, ulong offset)
    {
        var cuda = _pair.Cuda;
        using var device = cuda.Allocate(new Shape(rows, v), logitsDType);
        if (logitsDType == DType.BF16)
            cuda.CopyFromHost(device, MemoryMarshal.AsBytes(logits.Select(BFloat16Bits.FromSingle).ToArray().AsSpan()));
        else
            cuda.CopyFromHost(device, MemoryMarshal.AsBytes(logits.AsSpan()));
        using var tokens = cuda.Allocate(new Shape(rows), DType.I32);
        cuda.Sample(tokens, device, temperature, topK, topP, Seed, offset);
        return tokens.ToIntArray();
    }

    /// <summary>
    /// The contract's kept distribution of one row (0 for filtered tokens), in double: temperature, top-k (logits ≥ the
    /// k-th largest), top-p (a token stays when the kept mass strictly above it is below topP; the top stays always).
    /// cutMargin is the distance of top-p's nearest decision from topP (infinite without top-p).
    /// </summary>
    private static double[] Distribution(ReadOnlySpan<float> x, float temperature, int topK, float topP, out double cutMargin)
    {
        var v = x.Length;
        var sorted = x.ToArray().OrderDescending().ToArray();
        var floor = topK > 0 && topK < v ? sorted[topK - 1] : float.NegativeInfinity;
        var max = (double)sorted[0];
        var w = new double[v];
        for (var i = 0; i < v; i++) w[i] = x[i] >= floor ? Math.Exp((x[i] - max) / temperature) : 0;
        cutMargin = double.PositiveInfinity;
        if (topP < 1)
        {
            var z = w.Sum();
            var above = 0.0;
            var values = sorted.Where(e => e >= floor).Distinct().ToArray();
            for (var g = 0; g < values.Length; g++)
            {
                if (g > 0) cutMargin = Math.Min(cutMargin, Math.Abs(above / z - topP));
                if (g > 0 && above / z >= topP)
                {
                    for (var i = 0; i < v; i++)
                        if (x[i] <= values[g]) w[i] = 0;
                    break;
                }
                for (var i = 0; i < v; i++)
                    if (x[i] == values[g]) above += w[i];
            }
        }
        var total = w.Sum();
        return w.Select(e => e / total).ToArray();
    }

    /// <summary>
    /// The first token whose cumulative probability exceeds u, and how far (in probability) u lies from the boundaries
    /// around it.
    /// </summary>
    private static (int Token, double Margin) Draw(double[] p, float u)
    {
        var cumulative = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            var before = cumulative;
            cumulative += p[i];
            if (p[i] > 0 && cumulative > u) return (i, Math.Min(u - before, cumulative - u));
        }
        return (-1, 0);
    }

    /// <summary>P(χ² ≥ x) for an even number of degrees of freedom.</summary>
    private static double ChiSquareUpperTail(double x, int degrees)
    {
        Assert.That(degrees % 2, Is.Zero, "the closed form needs even degrees of freedom");
        double half = x / 2, term = 1, sum = 1;
        for (var i = 1; i < degrees / 2; i++) sum += term *= half / i;
        return Math.Exp(-half) * sum;
    }
}

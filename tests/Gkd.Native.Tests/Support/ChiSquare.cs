namespace Gkd.Native.Tests.Support;

/// <summary>
/// Pearson's chi-square goodness-of-fit test of sampled counts against a distribution. Categories are pooled (most
/// probable first) into bins of expected count ≥ 5, the classical validity rule; a draw of a probability-0 category
/// fails outright. The p-value is the exact upper tail Q(df/2, χ²/2) of the chi-square distribution, so a test
/// asserting p ≥ <see cref="FalseAlarm"/> fails a correct sampler once in a million runs.
/// </summary>
public static class ChiSquare
{
    /// <summary>The false-alarm rate of <see cref="AssertFits"/>: the chance a correct sampler fails it.</summary>
    public const double FalseAlarm = 1e-6;

    /// <summary>Asserts that counts (per category) are a plausible sample of probabilities (summing to 1).</summary>
    public static void AssertFits(long[] counts, double[] probabilities, string what)
    {
        Assert.That(counts, Has.Length.EqualTo(probabilities.Length), what);
        var n = counts.Sum();
        for (var i = 0; i < counts.Length; i++)
            Assert.That(counts[i] == 0 || probabilities[i] > 0, $"{what}: category {i} has probability 0 but was drawn {counts[i]} times");
        var (statistic, df) = Statistic(counts, probabilities, n);
        var p = UpperTail(df, statistic);
        Assert.That(p, Is.GreaterThanOrEqualTo(FalseAlarm), $"{what}: χ² = {statistic:F1} on {df} degrees of freedom (n = {n}), p = {p:E2}");
    }

    private static (double Statistic, int Df) Statistic(long[] counts, double[] probabilities, long n)
    {
        var order = Enumerable.Range(0, counts.Length).Where(i => probabilities[i] > 0).OrderByDescending(i => probabilities[i]).ToArray();
        var bins = new List<(double Expected, long Observed)>();
        double expected = 0;
        long observed = 0;
        foreach (var i in order)
        {
            expected += probabilities[i] * n;
            observed += counts[i];
            if (expected < 5) continue;
            bins.Add((expected, observed));
            (expected, observed) = (0, 0);
        }
        if (expected > 0)
        {
            if (bins.Count == 0) bins.Add((expected, observed));
            else bins[^1] = (bins[^1].Expected + expected, bins[^1].Observed + observed);
        }
        Assert.That(bins, Has.Count.GreaterThan(1), "chi-square test needs at least two bins");
        var statistic = bins.Sum(b => (b.Observed - b.Expected) * (b.Observed - b.Expected) / b.Expected);
        return (statistic, bins.Count - 1);
    }

    /// <summary>P(χ²_df ≥ x) = Q(df/2, x/2), the regularized upper incomplete gamma function.</summary>
    public static double UpperTail(int df, double x)
    {
        double a = df / 2.0, z = x / 2.0;
        if (z <= 0) return 1;
        var logPrefix = a * Math.Log(z) - z - LogGamma(a);
        if (z < a + 1)
        {
            // Series for the lower tail P(a, z).
            double term = 1 / a, sum = term;
            for (var k = 1; k < 10000 && Math.Abs(term) > Math.Abs(sum) * 1e-16; k++)
            {
                term *= z / (a + k);
                sum += term;
            }
            return 1 - sum * Math.Exp(logPrefix);
        }
        // Lentz's continued fraction for Q(a, z).
        const double tiny = 1e-300;
        double b = z + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (var i = 1; i < 10000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return h * Math.Exp(logPrefix);
    }

    /// <summary>ln Γ(a) for a > 0 (Lanczos, g = 7, n = 9; about 15 digits).</summary>
    private static double LogGamma(double a)
    {
        double[] c =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (a < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * a)) - LogGamma(1 - a);
        a -= 1;
        var sum = c[0];
        for (var i = 1; i < c.Length; i++) sum += c[i] / (a + i);
        var t = a + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (a + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}

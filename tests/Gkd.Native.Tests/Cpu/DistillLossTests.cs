using Gkd.Native.Core.Tensors;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

[TestFixture(false)]
[TestFixture(true)]
public class DistillLossTests(bool wide) : CpuOpTest(wide)
{
    private static double[] LogSoftmax(double[] x)
    {
        var max = x.Max();
        var lse = max + Math.Log(x.Sum(v => Math.Exp(v - max)));
        return x.Select(v => v - lse).ToArray();
    }

    /// <summary>TRL's generalized JSD of one row, in double, written as TRL writes it (logsumexp for the mixture).</summary>
    private static double Loss(double[] student, double[] teacher, double beta)
    {
        double[] s = LogSoftmax(student), t = LogSoftmax(teacher);
        var loss = 0.0;
        for (var i = 0; i < s.Length; i++)
        {
            if (beta == 0) loss += Math.Exp(t[i]) * (t[i] - s[i]);
            else if (beta == 1) loss += Math.Exp(s[i]) * (s[i] - t[i]);
            else
            {
                double a = s[i] + Math.Log(1 - beta), b = t[i] + Math.Log(beta), hi = Math.Max(a, b);
                var m = hi + Math.Log(Math.Exp(a - hi) + Math.Exp(b - hi));
                loss += beta * Math.Exp(t[i]) * (t[i] - m) + (1 - beta) * Math.Exp(s[i]) * (s[i] - m);
            }
        }
        return loss;
    }

    /// <summary>The closed-form gradient over the student logits, in double.</summary>
    private static double[] Gradient(double[] student, double[] teacher, double beta)
    {
        double[] s = LogSoftmax(student), t = LogSoftmax(teacher);
        var n = s.Length;
        var g = new double[n];
        if (beta == 0)
        {
            for (var i = 0; i < n; i++) g[i] = Math.Exp(s[i]) - Math.Exp(t[i]);
            return g;
        }
        if (beta == 1)
        {
            var kl = Loss(student, teacher, 1);
            for (var i = 0; i < n; i++) g[i] = Math.Exp(s[i]) * (s[i] - t[i] - kl);
            return g;
        }
        var sm = new double[n]; // s − m
        var klSm = 0.0;
        for (var i = 0; i < n; i++)
        {
            double a = s[i] + Math.Log(1 - beta), b = t[i] + Math.Log(beta), hi = Math.Max(a, b);
            sm[i] = s[i] - (hi + Math.Log(Math.Exp(a - hi) + Math.Exp(b - hi)));
            klSm += Math.Exp(s[i]) * sm[i];
        }
        for (var i = 0; i < n; i++) g[i] = (1 - beta) * Math.Exp(s[i]) * (sm[i] - klSm);
        return g;
    }

    /// <summary>Runs the op on rows of (N, V) logits; returns (loss, dStudent).</summary>
    private (float[] Loss, float[] Grad) Run(float[] student, float[] teacher, int rows, float beta, float gradScale,
        int threads = 2, bool inPlace = false)
    {
        var v = student.Length / rows;
        using var be = Backend(threads);
        using var ts = F32(be, student, rows, v);
        using var tt = F32(be, teacher, rows, v);
        using var tl = be.Allocate(new Shape(rows), DType.F32);
        using var tg = inPlace ? ts.Share() : be.Allocate(ts.Shape, DType.F32);
        be.DistillLoss(tl, tg, ts, tt, beta, gradScale);
        return (Read(tl), Read(tg));
    }

    private static (float[] Student, float[] Teacher) Logits(int rows, int v, int seed, float scale)
    {
        var rng = new Random(seed);
        return (Uniform(rng, rows * v, scale), Uniform(rng, rows * v, scale));
    }

    [TestCase(0f)]
    [TestCase(0.1f)]
    [TestCase(0.5f)]
    [TestCase(0.9f)]
    [TestCase(1f)]
    public void SmallVocabularyMatchesDoubleWithGradientsAndFiniteDifferences(float beta)
    {
        const int rows = 6, v = 37;
        const float gradScale = 0.37f;
        var (student, teacher) = Logits(rows, v, seed: (int)(beta * 100), scale: 4f);
        var (loss, grad) = Run(student, teacher, rows, beta, gradScale);
        for (var n = 0; n < rows; n++)
        {
            var x = ToDouble(student[(n * v)..((n + 1) * v)]);
            var y = ToDouble(teacher[(n * v)..((n + 1) * v)]);
            var g = Gradient(x, y, beta);
            AssertDirectionalDerivative(z => Loss(z, y, beta), x, g, seed: n, $"β = {beta}, row {n}");
            // f32 log-probabilities (≈ 2⁻²⁴ · |s| ≲ 1e-6 absolute) feed every term; sums in double.
            Assert.That(loss[n], Is.EqualTo(Loss(x, y, beta)).Within(1e-5 * Math.Abs(Loss(x, y, beta)) + 1e-7),
                $"loss, row {n}");
            AssertClose(grad[(n * v)..((n + 1) * v)], g.Select(e => gradScale * e).ToArray(), 1e-5, 1e-7, $"grad, row {n}");
        }
    }

    [TestCase(0f)]
    [TestCase(0.1f)]
    [TestCase(0.5f)]
    [TestCase(0.9f)]
    [TestCase(1f)]
    public void FullQwenVocabularyMeetsOneInAHundredThousand(float beta)
    {
        const int v = 151936;
        var (student, teacher) = Logits(1, v, seed: 7 + (int)(beta * 10), scale: 6f);
        var rng = new Random(3);
        for (var i = 0; i < 20; i++) // a few confident tokens, as real logits have
        {
            student[rng.Next(v)] += 15f;
            teacher[rng.Next(v)] += 15f;
        }
        var (loss, grad) = Run(student, teacher, 1, beta, 1f);
        double[] x = ToDouble(student), y = ToDouble(teacher);
        var expected = Loss(x, y, beta);
        Assert.That(loss[0], Is.EqualTo(expected).Within(1e-5 * expected), "loss");
        var g = Gradient(x, y, beta);
        // Each closed form is a difference of terms of size p_s, p_t (times an O(1) log-ratio); where they nearly
        // cancel (p_s ≈ p_t, or the JSD saturating at ln 2 on confident tokens) only an absolute error relative to
        // those terms is meaningful: |error| ≤ 1e-5 |g| + 1e-6 (p_s + p_t) per element.
        double[] ps = LogSoftmax(x).Select(Math.Exp).ToArray(), pt = LogSoftmax(y).Select(Math.Exp).ToArray();
        double Ratio(int i) => Math.Abs(grad[i] - g[i]) / (1e-5 * Math.Abs(g[i]) + 1e-6 * (ps[i] + pt[i]));
        var worst = Enumerable.Range(0, v).MaxBy(i => double.IsNaN(Ratio(i)) ? double.PositiveInfinity : Ratio(i));
        Assert.That(grad[worst], Is.EqualTo(g[worst]).Within(1e-5 * Math.Abs(g[worst]) + 1e-6 * (ps[worst] + pt[worst])),
            $"grad[{worst}], the worst element");
    }

    [TestCase(0f)]
    [TestCase(1f)]
    public void CheckValueIsPoint8Ln9(float beta)
    {
        // student probabilities [0.1, 0.9], teacher [0.9, 0.1], as logits ln p: both KLs are 0.8 · ln 9.
        float[] student = [MathF.Log(0.1f), MathF.Log(0.9f)];
        float[] teacher = [MathF.Log(0.9f), MathF.Log(0.1f)];
        var (loss, _) = Run(student, teacher, 1, beta, 1f);
        Assert.That(loss[0], Is.EqualTo(1.7577796619).Within(1e-6));
    }

    [Test]
    public void GradientScaleMultipliesTheGradientOnly()
    {
        var (student, teacher) = Logits(3, 53, seed: 5, scale: 3f);
        var (loss1, grad1) = Run(student, teacher, 3, 0.5f, 1f);
        var (loss2, grad2) = Run(student, teacher, 3, 0.5f, -2.5f);
        Assert.That(loss2, Is.EqualTo(loss1));
        AssertClose(grad2, grad1.Select(g => -2.5 * g).ToArray(), 1e-6, 1e-12, "scaled gradient");
    }

    [TestCase(0f)]
    [TestCase(0.5f)]
    [TestCase(1f)]
    public void InPlaceGradientAndThreadCountsGiveTheSameBits(float beta)
    {
        const int rows = 7, v = 1001;
        var (student, teacher) = Logits(rows, v, seed: 9, scale: 5f);
        var (loss, grad) = Run(student, teacher, rows, beta, 0.5f, threads: 1);
        foreach (var threads in ThreadCounts)
        {
            var (l, g) = Run(student, teacher, rows, beta, 0.5f, threads);
            AssertSameBits(l, loss, $"loss, threads {threads}");
            AssertSameBits(g, grad, $"grad, threads {threads}");
        }
        var (lIn, gIn) = Run(student, teacher, rows, beta, 0.5f, inPlace: true);
        AssertSameBits(lIn, loss, "loss, dStudent aliasing the student logits");
        AssertSameBits(gIn, grad, "grad, dStudent aliasing the student logits");
    }

    [Test]
    public void LossWithoutGradientAndBf16LogitsAreRejectedClearly()
    {
        var (student, teacher) = Logits(2, 10, seed: 1, scale: 1f);
        using var be = Backend();
        using var ts = F32(be, student, 2, 10);
        using var tt = F32(be, teacher, 2, 10);
        using var tl = be.Allocate(new Shape(2), DType.F32);
        be.DistillLoss(tl, null, ts, tt, 0.5f, 1f);
        Assert.That(Read(tl), Is.EqualTo(Run(student, teacher, 2, 0.5f, 1f).Loss));
        using var tb = Stored(be, student, DType.BF16, 2, 10);
        Assert.That(() => be.DistillLoss(tl, null, tb, tt, 0.5f, 1f),
            Throws.ArgumentException.With.Message.Contains("DistillLoss").And.Message.Contains("BF16").And.Message.Contains("f32 logits"));
    }
}

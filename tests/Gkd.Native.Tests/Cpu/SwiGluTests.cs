using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

[TestFixture(false)]
[TestFixture(true)]
public class SwiGluTests(bool wide) : CpuOpTest(wide)
{
    private static double Silu(double g) => g / (1 + Math.Exp(-g));

    private static double Sigmoid(double g) => 1 / (1 + Math.Exp(-g));

    private static (float[] Gate, float[] Up) Inputs(int n, int seed)
    {
        var rng = new Random(seed);
        var gate = Uniform(rng, n, 6f);
        // Saturated gates: e^−g overflows or vanishes in f32.
        gate[0] = 100f;
        gate[1] = -100f;
        gate[2] = -30f;
        gate[3] = 0f;
        return (gate, Uniform(rng, n, 2f));
    }

    [TestCase(1, 5)]
    [TestCase(3, 77)]
    [TestCase(2, 1031)]
    public void ForwardMatchesDouble(int rows, int ff)
    {
        var n = rows * ff;
        var (gate, up) = Inputs(Math.Max(n, 4), rows + ff);
        Array.Resize(ref gate, n);
        Array.Resize(ref up, n);
        using var be = Backend();
        using var tg = F32(be, gate, rows, ff);
        using var tu = F32(be, up, rows, ff);
        using var ty = be.Allocate(tg.Shape, tg.DType);
        be.SwiGluForward(ty, tg, tu);
        // e^x within 2 ulp and three more roundings: a few 1e-7 relative; 2e-6 with an absolute floor for silu ≈ 0.
        AssertClose(Read(ty), gate.Select((g, i) => Silu(g) * up[i]).ToArray(), 2e-6, 1e-30, "y");
        be.SwiGluForward(tg, tg, tu);
        Assert.That(Read(tg), Is.EqualTo(Read(ty)), "y aliasing gate");
    }

    [Test]
    public void BackwardMatchesTheAnalyticGradientAndFiniteDifferences()
    {
        const int rows = 3, ff = 45, n = rows * ff;
        var (gate, up) = Inputs(n, 9);
        var rng = new Random(10);
        var dy = Uniform(rng, n);
        var dg0 = Uniform(rng, n);
        var du0 = Uniform(rng, n);
        var expectedDg = new double[n];
        var expectedDu = new double[n];
        for (var i = 0; i < n; i++)
        {
            var s = Sigmoid(gate[i]);
            expectedDg[i] = dg0[i] + dy[i] * up[i] * s * (1 + gate[i] * (1 - s));
            expectedDu[i] = du0[i] + dy[i] * Silu(gate[i]);
        }
        // L(gate, up) = Σ dy·silu(gate)·up has the gradient (dg − dg0, du − du0); at the saturated gates silu is
        // locally linear or flat, so the central difference holds there too.
        var x = ToDouble(gate).Concat(ToDouble(up)).ToArray();
        var grad = expectedDg.Select((e, i) => e - dg0[i]).Concat(expectedDu.Select((e, i) => e - du0[i])).ToArray();
        AssertDirectionalDerivative(v => { var s = 0.0; for (var i = 0; i < n; i++) s += dy[i] * Silu(v[i]) * v[n + i]; return s; },
            x, grad, seed: 11, "SwiGLU");
        using var be = Backend();
        using var tg = F32(be, gate, rows, ff);
        using var tu = F32(be, up, rows, ff);
        using var tdy = F32(be, dy, rows, ff);
        using var tdg = F32(be, dg0, rows, ff);
        using var tdu = F32(be, du0, rows, ff);
        be.SwiGluBackward(tdg, tdu, tdy, tg, tu);
        // A handful of roundings on terms of size ≲ 10 added to values of size ≲ 1: 1e-5 relative to the term size.
        AssertClose(Read(tdg), expectedDg, 1e-5, 1e-6, "dgate");
        AssertClose(Read(tdu), expectedDu, 1e-5, 1e-6, "dup");
    }
}

using Gkd.Native.Core.Tensors;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

[TestFixture(false)]
[TestFixture(true)]
public class RopeTests(bool wide) : CpuOpTest(wide)
{
    /// <summary>
    /// The rotation angle as transformers computes it in f32 (the rounding of the angle is part of the semantics:
    /// at position 4095 it moves cos by ~1e-5); everything after the angle is done in double.
    /// </summary>
    private static double Angle(int position, int i, int headDim, float theta)
    {
        var invFreq = 1f / (float)Math.Pow(theta, (float)(2 * i) / headDim);
        return (float)position * invFreq;
    }

    private static double[] Reference(double[] x, int[] positions, int width, int headDim, float theta, bool transpose)
    {
        var y = new double[x.Length];
        var half = headDim / 2;
        var sign = transpose ? -1 : 1;
        for (var n = 0; n < positions.Length; n++)
            for (var h = 0; h < width; h += headDim)
                for (var i = 0; i < half; i++)
                {
                    var a = Angle(positions[n], i, headDim, theta);
                    double c = Math.Cos(a), s = sign * Math.Sin(a);
                    int i1 = n * width + h + i, i2 = i1 + half;
                    y[i1] = x[i1] * c - x[i2] * s;
                    y[i2] = x[i2] * c + x[i1] * s;
                }
        return y;
    }

    [TestCase(8, 3, 10000f)]
    [TestCase(64, 2, 1000000f)]
    [TestCase(34, 1, 1000000f)]
    public void ForwardAndBackwardMatchDouble(int headDim, int heads, float theta)
    {
        const int rows = 9;
        var width = heads * headDim;
        var rng = new Random(headDim + heads);
        var x = Uniform(rng, rows * width, 2f);
        var dy = Uniform(rng, rows * width);
        var dx0 = Uniform(rng, rows * width);
        int[] positions = [0, 1, 2, 17, 100, 1023, 4095, 5, 30000];
        var y = Reference(ToDouble(x), positions, width, headDim, theta, transpose: false);
        var dx = Reference(ToDouble(dy), positions, width, headDim, theta, transpose: true);
        // The backward is the transpose: L = Σ dy·R x has gradient Rᵀ dy.
        AssertDirectionalDerivative(v => Dot(Reference(v, positions, width, headDim, theta, false), ToDouble(dy)),
            ToDouble(x), dx, seed: 2, "RoPE");
        using var be = Backend();
        using var tx = F32(be, x, rows, width);
        using var tp = I32(be, positions, rows);
        using var ty = be.Allocate(tx.Shape, DType.F32);
        be.RopeForward(ty, tx, tp, headDim, theta);
        // cos, sin correctly rounded, two products and a sum: ≈ 2⁻²³ relative to |x| ≤ 2.
        AssertClose(Read(ty), y, 0, 1e-6, "y");
        using var tdy = F32(be, dy, rows, width);
        using var tdx = F32(be, dx0, rows, width);
        be.RopeBackward(tdx, tdy, tp, headDim, theta);
        AssertClose(Read(tdx), dx.Select((g, i) => g + dx0[i]).ToArray(), 0, 1e-6, "dx");
        be.RopeForward(tx, tx, tp, headDim, theta);
        Assert.That(Read(tx), Is.EqualTo(Read(ty)), "y aliasing x");
        Assert.That(() => be.RopeBackward(tdy, tdy, tp, headDim, theta), Throws.ArgumentException.With.Message.Contains("alias"));
    }

    [Test]
    public void AnglesMatchTransformersInFloat32()
    {
        // cos and sin of q = e_i at positions 1000 and 4095 (HS 64, theta 1e6) from transformers' rotary code run in
        // torch 1.13 (inv_freq = 1 / base ** (arange(0, dim, 2).float() / dim), freqs = inv_freq @ position).
        (int Pos, int I, float Cos, float Sin)[] torch =
        [
            (1000, 1, -0.5994148254394531f, 0.8004385232925415f),
            (1000, 5, -0.7243360877037048f, 0.6894470453262329f),
            (1000, 17, 0.7964578866958618f, 0.6046940088272095f),
            (1000, 31, 0.9999988079071045f, 0.0015399259282276034f),
            (4095, 1, 0.13994693756103516f, 0.9901589751243591f),
            (4095, 5, -0.07347910106182098f, 0.9972967505455017f),
            (4095, 17, -0.8858957886695862f, 0.4638843238353729f),
            (4095, 31, 0.999980092048645f, 0.0063059572130441666f),
        ];
        using var be = Backend();
        foreach (var (pos, i, cos, sin) in torch)
        {
            var x = new float[64];
            x[i] = 1f;
            using var tx = F32(be, x, 1, 64);
            using var tp = I32(be, [pos], 1);
            be.RopeForward(tx, tx, tp, 64, 1e6f);
            var y = Read(tx);
            // torch's vectorized f32 cos/sin may be 1 ulp from the correctly rounded value: allow 2 ulp (2.4e-7).
            Assert.That(y[i], Is.EqualTo(cos).Within(2.4e-7), $"cos at position {pos}, i {i}");
            Assert.That(y[i + 32], Is.EqualTo(sin).Within(2.4e-7), $"sin at position {pos}, i {i}");
        }
    }

    [Test]
    public void OddHeadSizesAndNegativePositionsAreRejected()
    {
        using var be = Backend();
        using var x = be.Allocate(new Shape(2, 12), DType.F32);
        using var p = I32(be, [0, -1], 2);
        Assert.That(() => be.RopeForward(x, x, p, 5, 1e4f), Throws.ArgumentException.With.Message.Contains("RopeForward"));
        Assert.That(() => be.RopeForward(x, x, p, 6, 1e4f), Throws.ArgumentException.With.Message.Contains("positions[1] = -1"));
    }
}

using System.Runtime.InteropServices;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

/// <summary>
/// Shared pieces of the CPU op tests: each fixture runs once with the 256-bit kernels and once with the 512-bit ones
/// (emulated as two halves where AVX-512 is missing); tensors from arrays and back; tolerance checks; a central
/// finite difference in double.
/// </summary>
public abstract class CpuOpTest(bool wide)
{
    protected bool Wide { get; } = wide;

    protected CpuBackend Backend(int threads = 2) => new(threads) { UseVector512 = Wide };

    /// <summary>Thread counts that every reduction must give the same bits for.</summary>
    protected static readonly int[] ThreadCounts = [1, 2, 3];

    protected static Tensor F32(CpuBackend be, float[] data, params int[] dims)
    {
        var t = be.Allocate(new Shape(dims), DType.F32);
        be.CopyFromHost(t, MemoryMarshal.AsBytes(data.AsSpan()));
        return t;
    }

    protected static Tensor I32(CpuBackend be, int[] data, params int[] dims)
    {
        var t = be.Allocate(new Shape(dims), DType.I32);
        be.CopyFromHost(t, MemoryMarshal.AsBytes(data.AsSpan()));
        return t;
    }

    /// <summary>A tensor of dtype holding data rounded to it.</summary>
    protected static Tensor Stored(CpuBackend be, float[] data, DType dtype, params int[] dims)
    {
        using var f = F32(be, data, dims);
        var t = be.Allocate(new Shape(dims), dtype);
        be.Copy(t, f);
        return t;
    }

    protected static float[] Read(Tensor t)
    {
        var data = new float[t.Numel];
        t.Backend.CopyToHost(MemoryMarshal.AsBytes(data.AsSpan()), t);
        return data;
    }

    /// <summary>Uniform floats in [−scale, scale).</summary>
    protected static float[] Uniform(Random rng, int n, float scale = 1f)
    {
        var a = new float[n];
        for (var i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return a;
    }

    protected static double[] ToDouble(float[] a) => Array.ConvertAll(a, x => (double)x);

    /// <summary>Every |actual − expected| ≤ atol + rtol·|expected|; the message names the worst element.</summary>
    protected static void AssertClose(float[] actual, double[] expected, double rtol, double atol, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        var worst = -1;
        var worstRatio = 0.0;
        for (var i = 0; i < actual.Length; i++)
        {
            var ratio = Math.Abs(actual[i] - expected[i]) / (atol + rtol * Math.Abs(expected[i]));
            if (double.IsNaN(ratio)) ratio = double.PositiveInfinity; // a NaN anywhere fails
            if (worst < 0 || ratio > worstRatio) (worst, worstRatio) = (i, ratio);
        }
        Assert.That(worstRatio, Is.LessThanOrEqualTo(1.0),
            () => $"{what}: element {worst} is {actual[worst]:R}, expected {expected[worst]:R} (rtol {rtol}, atol {atol})");
    }

    /// <summary>The same bits, element for element (a fast check for large arrays; names the first difference).</summary>
    protected static void AssertSameBits(float[] actual, float[] expected, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        var first = MemoryMarshal.Cast<float, int>(actual.AsSpan()).CommonPrefixLength(MemoryMarshal.Cast<float, int>(expected.AsSpan()));
        Assert.That(first, Is.EqualTo(expected.Length), () => $"{what}: first difference at element {first} of {expected.Length}");
    }

    protected static double MaxAbs(double[] a) => a.Length == 0 ? 0 : a.Max(Math.Abs);

    /// <summary>(f(x + εu) − f(x − εu)) / 2ε, the central difference of f along u.</summary>
    protected static double DirectionalDerivative(Func<double[], double> f, double[] x, double[] u, double eps = 1e-6)
    {
        var plus = new double[x.Length];
        var minus = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            plus[i] = x[i] + eps * u[i];
            minus[i] = x[i] - eps * u[i];
        }
        return (f(plus) - f(minus)) / (2 * eps);
    }

    protected static double Dot(double[] a, double[] b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>Asserts that the analytic gradient g of f at x matches f's central difference along a random direction.</summary>
    protected static void AssertDirectionalDerivative(Func<double[], double> f, double[] x, double[] g, int seed, string what)
    {
        var rng = new Random(seed);
        var u = new double[x.Length];
        for (var i = 0; i < u.Length; i++) u[i] = rng.NextDouble() * 2 - 1;
        var fd = DirectionalDerivative(f, x, u);
        var analytic = Dot(g, u);
        // Central differences in double at ε = 1e-6 are accurate to ~1e-8 relative for these smooth functions.
        Assert.That(fd, Is.EqualTo(analytic).Within(1e-6 * (1 + Math.Abs(analytic))), $"{what}: finite difference vs analytic gradient");
    }
}

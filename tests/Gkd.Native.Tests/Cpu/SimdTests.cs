using System.Runtime.Intrinsics;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

/// <summary>
/// The accuracy of the BCL's vector Exp and Log that the kernels are built on (Vec256/Vec512 wrap them one to one),
/// against double: what the tolerances of the op tests rest on.
/// </summary>
public class SimdTests
{
    /// <summary>The error of an f32 result against the exact value, in units of the f32 spacing there.</summary>
    private static double Ulps(float actual, double exact)
    {
        var f = (float)Math.Abs(exact);
        return Math.Abs(actual - exact) / (MathF.BitIncrement(f) - f);
    }

    private static (double Exp, double Log) WorstUlps(Func<float[], float[]> exp, Func<float[], float[]> log, int lanes)
    {
        var rng = new Random(1);
        double worstExp = 0, worstLog = 0;
        for (var it = 0; it < 20_000; it++)
        {
            var x = new float[lanes];
            for (var i = 0; i < lanes; i++) x[i] = (float)(rng.NextDouble() * 174 - 87); // e^x normal in f32
            var e = exp(x);
            for (var i = 0; i < lanes; i++) worstExp = Math.Max(worstExp, Ulps(e[i], Math.Exp(x[i])));
            for (var i = 0; i < lanes; i++) x[i] = (float)Math.Exp(rng.NextDouble() * 170 - 85);
            var l = log(x);
            for (var i = 0; i < lanes; i++) worstLog = Math.Max(worstLog, Ulps(l[i], Math.Log(x[i])));
        }
        return (worstExp, worstLog);
    }

    [Test]
    public void Vector256ExpAndLogAreWithinAFewUlp()
    {
        var (exp, log) = WorstUlps(x => ToArray(Vector256.Exp(Vector256.Create(x))), x => ToArray(Vector256.Log(Vector256.Create(x))), 8);
        Assert.That(exp, Is.LessThanOrEqualTo(2.0), "Exp");
        Assert.That(log, Is.LessThanOrEqualTo(3.0), "Log");
        Assert.That(Vector256.Exp(Vector256.Create(float.NegativeInfinity)), Is.EqualTo(Vector256<float>.Zero), "e^−∞ (masked scores)");
    }

    [Test]
    public void Vector512ExpAndLogAreWithinAFewUlp()
    {
        var (exp, log) = WorstUlps(x => ToArray(Vector512.Exp(Vector512.Create(x))), x => ToArray(Vector512.Log(Vector512.Create(x))), 16);
        Assert.That(exp, Is.LessThanOrEqualTo(2.0), "Exp");
        Assert.That(log, Is.LessThanOrEqualTo(3.0), "Log");
        Assert.That(Vector512.Exp(Vector512.Create(float.NegativeInfinity)), Is.EqualTo(Vector512<float>.Zero), "e^−∞ (masked scores)");
    }

    private static float[] ToArray(Vector256<float> v)
    {
        var a = new float[Vector256<float>.Count];
        v.CopyTo(a);
        return a;
    }

    private static float[] ToArray(Vector512<float> v)
    {
        var a = new float[Vector512<float>.Count];
        v.CopyTo(a);
        return a;
    }
}

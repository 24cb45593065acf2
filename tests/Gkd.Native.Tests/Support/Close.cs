namespace Gkd.Native.Tests.Support;

/// <summary>
/// Tensor comparison at a relative tolerance: every element must satisfy |a − e| ≤ rtol · max|e| (the
/// infinity-norm relative error). f32 results that differ from PyTorch's only in summation order land near
/// 1e-7 · √K of the largest magnitude, so rtol = 1e-5 for f32 work and 1e-2 for bf16.
/// </summary>
public static class Close
{
    public const double F32 = 1e-5;
    public const double BF16 = 1e-2;

    public static void Assert(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double rtol, string what)
    {
        NUnit.Framework.Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        double scale = 0;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        var tol = rtol * Math.Max(scale, 1e-30);
        double worst = 0;
        var at = -1;
        for (var i = 0; i < actual.Length; i++)
        {
            var d = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(actual[i]) || d > worst)
            {
                worst = double.IsNaN(actual[i]) ? double.PositiveInfinity : d;
                at = i;
            }
        }
        NUnit.Framework.Assert.That(worst, Is.LessThanOrEqualTo(tol),
            $"{what}: max |diff| {worst:E3} at [{at}] (actual {(at >= 0 ? actual[at] : 0)}, expected {(at >= 0 ? expected[at] : 0)}) exceeds {rtol:E1} × max|expected| {scale:E3}");
    }
}

using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cli.Bench;

/// <summary>
/// Seeded host inputs for backend comparisons, uploaded identically to any backend. Activations and weights are
/// rounded to bf16 on the host first, so a bf16 backend stores exactly what the f32 reference computes on.
/// </summary>
internal sealed class HostData(int seed)
{
    private readonly Random _rng = new(seed);

    public float[] Uniform(long n, float scale = 1f)
    {
        var a = new float[n];
        for (var i = 0; i < a.Length; i++) a[i] = BFloat16Bits.ToSingle(BFloat16Bits.FromSingle((float)(_rng.NextDouble() * 2 - 1) * scale));
        return a;
    }

    public int[] Ints(long n, int below)
    {
        var a = new int[n];
        for (var i = 0; i < a.Length; i++) a[i] = _rng.Next(below);
        return a;
    }

    /// <summary>An activation-dtype tensor on b holding values.</summary>
    public static Tensor Act(IBackend b, float[] values, params int[] dims) => As(b, values, b.ActivationDType, dims);

    /// <summary>An f32 tensor on b.</summary>
    public static Tensor F32(IBackend b, float[] values, params int[] dims) => b.FromArray(values, dims);

    public static Tensor As(IBackend b, float[] values, DType dtype, params int[] dims)
    {
        using var f = b.FromArray(values, dims);
        if (dtype == DType.F32) return f.Share();
        var t = b.Allocate(new Shape(dims), dtype);
        b.Copy(t, f);
        return t;
    }
}

using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Random;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Training.Demo;

/// <summary>
/// A freshly initialised Qwen2 model in f32, as transformers initialises one (Qwen2PreTrainedModel._init_weights):
/// matrices and the embedding N(0, std²), biases 0, RMSNorm weights 1. Each weight's draws are a Philox stream keyed
/// by (seed, its name), so a model depends on the seed alone.
/// </summary>
public static class RandomQwen2
{
    public static Qwen2Model Create(Qwen2Config config, IBackend backend, ulong seed, double std)
    {
        config.Validate();
        return Qwen2Model.FromWeights(config, backend, key =>
        {
            var shape = Qwen2Model.ExpectedShape(config, key);
            var values = new float[shape.Numel];
            if (key.EndsWith("norm.weight", StringComparison.Ordinal)) values.AsSpan().Fill(1f);
            else if (!key.EndsWith(".bias", StringComparison.Ordinal)) Normal(values, Stream(seed, key), (float)std);
            var t = backend.FromArray(values, shape.Dims);
            t.Name = key;
            return t;
        });
    }

    /// <summary>Box–Muller over consecutive Philox uniforms: values[i] ~ N(0, std²).</summary>
    private static void Normal(float[] values, ulong stream, float std)
    {
        for (var i = 0; i < values.Length; i += 2)
        {
            var u1 = 1f - Philox.Uniform(stream, (ulong)i);      // (0, 1]
            var u2 = Philox.Uniform(stream, (ulong)i + 1);
            var r = std * MathF.Sqrt(-2f * MathF.Log(u1));
            values[i] = r * MathF.Cos(2f * MathF.PI * u2);
            if (i + 1 < values.Length) values[i + 1] = r * MathF.Sin(2f * MathF.PI * u2);
        }
    }

    /// <summary>FNV-1a of the weight's name mixed into the seed (string.GetHashCode differs between processes).</summary>
    private static ulong Stream(ulong seed, string key)
    {
        var h = 0xCBF29CE484222325UL;
        foreach (var c in key) h = (h ^ c) * 0x100000001B3UL;
        return Data.SplitMix64.Mix(seed ^ h);
    }
}

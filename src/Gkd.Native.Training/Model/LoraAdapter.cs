using Gkd.Native.Core.IO;
using Gkd.Native.Core.Random;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Model;

/// <summary>
/// Attaching, saving and loading LoRA adapters in PEFT's format: adapter_model.safetensors with keys
/// <c>base_model.model.{module path}.lora_A.weight</c> (r, in) and <c>.lora_B.weight</c> (out, r), f32, beside
/// adapter_config.json.
/// </summary>
public static class LoraAdapter
{
    public const string WeightsFileName = "adapter_model.safetensors";
    private const string Prefix = "base_model.model.";

    /// <summary>PEFT's key for a projection's A or B matrix.</summary>
    public static string Key(Projection p, char matrix) => $"{Prefix}{p.Path}.lora_{matrix}.weight";

    /// <summary>
    /// Adds fresh adapters to every targeted projection, initialised as PEFT does: A ~ U(±1/√in) (kaiming-uniform with
    /// a = √5), B = 0, so the model is unchanged until trained. Draws are Philox streams keyed by seed and module.
    /// </summary>
    public static void Attach(Qwen2Model model, LoraConfig config, ulong seed)
    {
        config.Validate("LoRA options");
        var be = model.Backend;
        var stream = 0UL;
        var attached = 0;
        foreach (var p in model.Projections)
        {
            stream++;
            if (!config.Targets(p)) continue;
            var bound = 1f / MathF.Sqrt(p.InFeatures);
            var a = new float[config.R * p.InFeatures];
            var moduleSeed = SplitSeed(seed, stream);
            for (var i = 0; i < a.Length; i++) a[i] = (2f * Philox.Uniform(moduleSeed, (ulong)i) - 1f) * bound;
            var ta = be.FromArray(a, config.R, p.InFeatures);
            var tb = be.Zeros(new Shape(p.OutFeatures, config.R), DType.F32);
            SetLora(p, ta, tb, config);
            attached++;
        }
        if (attached == 0)
            throw new ArgumentException($"no projection matches target_modules [{string.Join(", ", config.TargetModules)}]; " +
                                        "known: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, all-linear");
    }

    /// <summary>Loads a PEFT adapter directory onto the model (adapter_config.json + adapter_model.safetensors).</summary>
    public static LoraConfig Load(Qwen2Model model, string adapterDir)
    {
        var config = LoraConfig.Load(adapterDir);
        var path = Path.Combine(adapterDir, WeightsFileName);
        using var file = SafetensorsFile.Open(path);
        var used = 0;
        foreach (var p in model.Projections)
        {
            if (!config.Targets(p)) continue;
            var a = LoadMatrix(file, p, 'A', config.R, p.InFeatures, model);
            var b = LoadMatrix(file, p, 'B', p.OutFeatures, config.R, model);
            SetLora(p, a, b, config);
            used += 2;
        }
        if (used == 0) throw new InvalidDataException($"{path}: target_modules match no projection of the model");
        if (used != file.Keys.Count)
        {
            var extra = file.Keys.Where(k => !model.Projections.Any(p => k == Key(p, 'A') || k == Key(p, 'B'))).Take(3);
            throw new InvalidDataException($"{path}: holds tensors the model has no place for: {string.Join(", ", extra)}");
        }
        return config;
    }

    /// <summary>
    /// Writes adapter_model.safetensors (with PEFT's metadata {"format": "pt"}) and adapter_config.json into dir, each
    /// atomically.
    /// </summary>
    public static void Save(Qwen2Model model, LoraConfig config, string dir, string baseModelNameOrPath)
    {
        Directory.CreateDirectory(dir);
        var writer = new SafetensorsWriter().AddMetadata("format", "pt");
        foreach (var (key, t) in Parameters(model)) writer.Add(key, t);
        writer.Save(Path.Combine(dir, WeightsFileName));
        AtomicFile.WriteAllText(Path.Combine(dir, LoraConfig.FileName), config.ToJson(baseModelNameOrPath));
    }

    /// <summary>The trainable tensors with their PEFT keys, in model order (A then B per module).</summary>
    public static IEnumerable<(string Key, Tensor Tensor)> Parameters(Qwen2Model model)
    {
        foreach (var p in model.Projections)
        {
            if (p.Lora is not { } l) continue;
            yield return (Key(p, 'A'), l.A);
            yield return (Key(p, 'B'), l.B);
        }
    }

    /// <summary>Sets the dropout of every attached adapter (0 for evaluation and generation).</summary>
    public static void SetDropout(Qwen2Model model, double dropout)
    {
        foreach (var p in model.Projections)
            if (p.Lora is { } l) l.Dropout = (float)dropout;
    }

    private static void SetLora(Projection p, Tensor a, Tensor b, LoraConfig config)
    {
        a.Name = Key(p, 'A');
        b.Name = Key(p, 'B');
        a.RequiresGrad = b.RequiresGrad = true;
        p.Lora?.Dispose();
        p.Lora = new LoraWeights(a, b, config.Scaling, (float)config.Dropout);
    }

    private static Tensor LoadMatrix(SafetensorsFile file, Projection p, char matrix, int rows, int cols, Qwen2Model model)
    {
        var key = Key(p, matrix);
        var stored = file.Load(model.Backend, key);
        if (stored.Shape != new Shape(rows, cols))
        {
            stored.Dispose();
            throw new InvalidDataException($"{file.Path}: {key} is {stored.Shape}, expected ({rows}, {cols})");
        }
        if (stored.DType == DType.F32) return stored;
        using (stored)
        {
            var f = model.Backend.Allocate(stored.Shape, DType.F32);
            model.Backend.Copy(f, stored);
            return f;
        }
    }

    private static ulong SplitSeed(ulong seed, ulong stream) => seed * 0x9E3779B97F4A7C15UL + stream;
}

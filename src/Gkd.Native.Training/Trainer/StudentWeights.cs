using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Training.Trainer;

/// <summary>What a run trains and saves: LoRA adapters (PEFT format) or, without PEFT, every student weight.</summary>
public abstract class StudentWeights(Qwen2Model model)
{
    public Qwen2Model Model { get; } = model;

    /// <summary>The trainable f32 leaves with their checkpoint keys.</summary>
    public abstract IReadOnlyList<(string Name, Tensor Tensor)> Parameters { get; }

    /// <summary>Writes the trained weights (and their config) into dir.</summary>
    public abstract void Save(string dir);

    /// <summary>Reads weights written by <see cref="Save"/> back into the model.</summary>
    public abstract void Load(string dir);
}

/// <summary>LoRA adapters on the frozen student: adapter_model.safetensors + adapter_config.json.</summary>
public sealed class LoraStudentWeights(Qwen2Model model, LoraConfig config, string baseModelNameOrPath) : StudentWeights(model)
{
    public LoraConfig Config { get; } = config;

    public override IReadOnlyList<(string Name, Tensor Tensor)> Parameters => LoraAdapter.Parameters(Model).ToArray();

    public override void Save(string dir) => LoraAdapter.Save(Model, Config, dir, baseModelNameOrPath);

    /// <summary>
    /// Copies the saved A and B into the tensors already attached, so the optimizer (built over them) keeps updating
    /// the live parameters after a resume.
    /// </summary>
    public override void Load(string dir)
    {
        var saved = LoraConfig.Load(dir);
        if (saved.R != Config.R || !saved.TargetModules.SequenceEqual(Config.TargetModules))
            throw new InvalidDataException($"{dir}: the adapter (r {saved.R}, targets {string.Join(",", saved.TargetModules)}) does not match this run's LoRA settings");
        using var file = SafetensorsFile.Open(Path.Combine(dir, LoraAdapter.WeightsFileName));
        foreach (var (name, t) in Parameters)
        {
            using var stored = file.Load(t.Backend, name);
            if (stored.Shape != t.Shape) throw new InvalidDataException($"{file.Path}: {name} is {stored.Shape}, the adapter's is {t.Shape}");
            t.Backend.Copy(t, stored);
        }
    }
}

/// <summary>Full fine-tuning: every student weight (f32) in model.safetensors beside config.json.</summary>
public sealed class FullStudentWeights(Qwen2Model model) : StudentWeights(model)
{
    public const string FileName = "model.safetensors";

    public override IReadOnlyList<(string Name, Tensor Tensor)> Parameters { get; } = model.NamedWeights().ToArray();

    public override void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        var writer = new SafetensorsWriter().AddMetadata("format", "pt");
        foreach (var (name, t) in Parameters) writer.Add(name, t);
        writer.Save(Path.Combine(dir, FileName));
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"), Model.Config.ToJson());
    }

    public override void Load(string dir)
    {
        using var file = SafetensorsFile.Open(Path.Combine(dir, FileName));
        foreach (var (name, t) in Parameters)
        {
            using var saved = file.Load(t.Backend, name);
            if (saved.Shape != t.Shape) throw new InvalidDataException($"{file.Path}: {name} is {saved.Shape}, the model's is {t.Shape}");
            t.Backend.Copy(t, saved);
        }
    }
}

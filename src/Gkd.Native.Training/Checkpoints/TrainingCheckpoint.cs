using System.Globalization;
using System.Text.Json.Nodes;
using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Optim;
using Gkd.Native.Training.Trainer;

namespace Gkd.Native.Training.Checkpoints;

/// <summary>
/// A checkpoint-N directory: the trained weights (adapter or full model), optimizer.safetensors (moments + step
/// count), scheduler.json, rng_state.json, trainer_state.json and training_args.json. Written into a temporary
/// sibling and renamed into place, so a crash or a second signal never leaves a half-written checkpoint; rotation
/// keeps the newest save_total_limit.
/// </summary>
public static class TrainingCheckpoint
{
    public const string Prefix = "checkpoint-";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string SchedulerFile = "scheduler.json";
    public const string RngFile = "rng_state.json";
    public const string ArgsFile = "training_args.json";

    public static string PathFor(string outputDir, int step) => Path.Combine(outputDir, Prefix + step.ToString(CultureInfo.InvariantCulture));

    public static void Save(string dir, StudentWeights weights, IOptimizer optimizer, LrSchedule schedule, TrainerState state, GkdConfig config)
    {
        AtomicFile.WriteDirectory(dir, tmp =>
        {
            weights.Save(tmp);
            var writer = new SafetensorsWriter().AddMetadata("optimizer", optimizer.Name)
                .AddMetadata("steps", optimizer.Steps.ToString(CultureInfo.InvariantCulture));
            foreach (var (name, t) in optimizer.State()) writer.Add(name, t);
            writer.Save(Path.Combine(tmp, OptimizerFile));
            File.WriteAllText(Path.Combine(tmp, SchedulerFile), new JsonObject
            {
                ["type"] = schedule.Type,
                ["base_lr"] = schedule.BaseRate,
                ["total_steps"] = schedule.TotalSteps,
                ["warmup_steps"] = schedule.WarmupSteps,
                ["last_step"] = state.GlobalStep,
                ["last_lr"] = schedule.At(Math.Max(0, state.GlobalStep - 1)),
            }.ToJsonString(TrainerState.Indented));
            File.WriteAllText(Path.Combine(tmp, RngFile), new JsonObject
            {
                ["seed"] = config.Seed,
                ["global_step"] = state.GlobalStep,
                ["scheme"] = "counter-based Philox4x32-10: every draw is keyed by (seed, optimizer step, micro-batch, row), so (seed, global_step) is the whole generator state",
            }.ToJsonString(TrainerState.Indented));
            state.Save(Path.Combine(tmp, TrainerState.FileName));
            File.WriteAllText(Path.Combine(tmp, ArgsFile), TrainingArgs.ToJson(config));
        });
    }

    /// <summary>Restores weights and optimizer state from dir; returns its trainer state.</summary>
    public static TrainerState Load(string dir, StudentWeights weights, IOptimizer optimizer)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"--resume_from_checkpoint: {dir} does not exist");
        var statePath = Path.Combine(dir, TrainerState.FileName);
        if (!File.Exists(statePath)) throw new FileNotFoundException($"--resume_from_checkpoint: {dir} has no {TrainerState.FileName}; is it a checkpoint-N directory?", statePath);
        var state = TrainerState.Load(statePath);
        weights.Load(dir);
        using var file = SafetensorsFile.Open(Path.Combine(dir, OptimizerFile));
        if (file.Metadata.GetValueOrDefault("optimizer") is { } name && name != optimizer.Name)
            throw new InvalidDataException($"{file.Path}: saved by optimizer '{name}', this run uses '{optimizer.Name}'");
        var tensors = file.Keys.ToDictionary(k => k, k => file.Load(weights.Model.Backend, k));
        try
        {
            optimizer.Load(tensors, int.Parse(file.Metadata.GetValueOrDefault("steps", "0"), CultureInfo.InvariantCulture));
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        return state;
    }

    /// <summary>The newest checkpoint-N in outputDir, or null.</summary>
    public static string? Latest(string outputDir) =>
        List(outputDir).OrderByDescending(c => c.Step).Select(c => c.Path).FirstOrDefault();

    /// <summary>Deletes the oldest checkpoints beyond limit.</summary>
    public static void Rotate(string outputDir, int? limit)
    {
        if (limit is not > 0) return;
        foreach (var (_, path) in List(outputDir).OrderByDescending(c => c.Step).Skip(limit.Value))
            Directory.Delete(path, recursive: true);
    }

    private static IEnumerable<(int Step, string Path)> List(string outputDir)
    {
        if (!Directory.Exists(outputDir)) yield break;
        foreach (var d in Directory.EnumerateDirectories(outputDir, Prefix + "*"))
            if (int.TryParse(Path.GetFileName(d)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var step))
                yield return (step, d);
    }
}

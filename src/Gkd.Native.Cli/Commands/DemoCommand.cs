using Gkd.Native.Cli.Options;
using Gkd.Native.Training.Demo;

namespace Gkd.Native.Cli.Commands;

/// <summary>
/// <c>gkd demo</c>: the whole GKD story on a fresh machine, with no download and no GPU — a teacher trained from
/// random weights on a synthetic task, a smaller student distilled from it with GKD (LoRA, λ = 0.5), and a
/// before/after table of the student's eval JSD to the teacher and its task accuracy.
/// </summary>
public sealed class DemoCommand : ICommand
{
    public string Name => "demo";
    public string Summary => "Train a tiny teacher on a synthetic task, distil a student into it with GKD, show before/after.";

    public OptionSet Options { get; } = new OptionSet()
        .String("output_dir", "gkd-demo", "Where the data, tokenizer, models, adapter, curves and results go.")
        .Bool("overwrite_output_dir", false, "Allow writing into a non-empty output_dir.")
        .Int("seed", 42, "Seed of every random draw (data, initial weights, batches, sampling).")
        .Bool("quick", false, "A much smaller run (seconds): the same pipeline, for tests and CI.");

    public DemoCommand() => Devices.AddOptions(Options);

    public int Run(ParsedOptions o, TextWriter output)
    {
        var outputDir = Path.GetFullPath(o.Get<string>("output_dir"));
        if (!o.Get<bool>("overwrite_output_dir") && Directory.Exists(outputDir) && Directory.EnumerateFileSystemEntries(outputDir).Any())
            throw new UsageException($"--output_dir {outputDir} is not empty; pass --overwrite_output_dir to write into it");
        var seed = o.Get<int>("seed");
        if (seed < 0) throw new UsageException($"--seed must be ≥ 0, got {seed}");
        var threads = o.Get<int>("threads");
        if (threads < 0) throw new UsageException($"--threads must be ≥ 0 (0 = all cores), got {threads}");
        var plan = o.Get<bool>("quick") ? DemoPlan.Quick : DemoPlan.Full;

        using var backend = Devices.Create(o);
        output.WriteLine($"gkd demo ({plan.Name}): on-policy distillation of a tiny Qwen2 teacher into a smaller student, on {backend.Name}" +
                         (backend.Name == "cpu" ? $" ({(threads > 0 ? threads : Environment.ProcessorCount)} threads)" : "") +
                         $", seed {seed}, into {outputDir}");
        new DistillationDemo(backend, plan, (ulong)seed, output).Run(outputDir);
        return 0;
    }
}

using System.Globalization;
using Gkd.Native.Cli;
using Gkd.Native.Cli.Commands;
using Gkd.Native.Core.IO;
using Gkd.Native.Cpu;
using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Checkpoints;
using Gkd.Native.Training.Model;
using Gkd.Native.Training.Optim;
using Gkd.Native.Training.Trainer;

namespace Gkd.Native.Tests.Trainer;

/// <summary>Runs `gkd train` in-process on the tiny golden checkpoints and dataset.</summary>
internal static class TrainRun
{
    public static string Student => TestPaths.Golden("models", "student-g2-untied-f32");
    public static string Teacher => TestPaths.Golden("models", "teacher-g2-untied-f32");

    /// <summary>A dataset directory whose train.jsonl holds the golden train rows [first, first + count).</summary>
    public static string Dataset(int first, int count, bool withTest = false)
    {
        var dir = TestPaths.TempDir("dataset");
        var lines = File.ReadAllLines(TestPaths.Golden("data", "tiny_chat", "train.jsonl")).Skip(first).Take(count);
        File.WriteAllLines(Path.Combine(dir, "train.jsonl"), lines);
        if (withTest) File.Copy(TestPaths.Golden("data", "tiny_chat", "test.jsonl"), Path.Combine(dir, "test.jsonl"));
        return dir;
    }

    /// <summary>A path for an output_dir that does not exist yet.</summary>
    public static string NewOutput(string name) => Path.Combine(TestPaths.TempDir(name), "out");

    public static (int Code, string Out, string Err) Gkd(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        // generate's speed line goes to the captured stderr, not the test runner's console
        var code = Program.Run(args, stdout, stderr, [.. Program.Commands.Select(c => c is GenerateCommand ? new GenerateCommand(stderr) : c)]);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The common flags of a tiny run: student, teacher, dataset, output, no logging noise.</summary>
    public static string[] Base(string dataset, string output) =>
    [
        "train", "--model_name_or_path", Student, "--teacher_model_name_or_path", Teacher, "--dataset_name", dataset,
        "--output_dir", output, "--max_length", "64", "--threads", "2",
    ];

    /// <summary>A LoRA run of a few steps over the six golden rows, two per step, logging every step.</summary>
    public static string[] Lora(string output, int maxSteps, string? dataset = null) =>
    [
        .. Base(dataset ?? Dataset(0, 6), output), "--use_peft", "--max_steps", Arg(maxSteps), "--per_device_train_batch_size", "2",
        "--learning_rate", "1e-2", "--logging_steps", "1",
    ];

    public static string Arg(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Restores checkpoint-N as --resume_from_checkpoint does — adapter into the student, optimizer moments, trainer
    /// state — and returns the state; throws when any part is missing or malformed.
    /// </summary>
    public static TrainerState LoadCheckpoint(string dir)
    {
        using var backend = new CpuBackend(2);
        using var checkpoint = HfCheckpoint.Open(Student);
        using var model = Qwen2Model.Load(checkpoint, backend);
        var weights = new LoraStudentWeights(model, LoraAdapter.Load(model, dir), Student);
        using var optimizer = new AdamWOptimizer(weights.Parameters);
        return TrainingCheckpoint.Load(dir, weights, optimizer);
    }

    /// <summary>An f32 tensor of a safetensors file (an adapter's lora_A/lora_B) as an array.</summary>
    public static float[] Floats(SafetensorsFile f, string key) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f.Bytes(f.Entry(key))).ToArray();

    /// <summary>The checkpoint-N directories of an output_dir, by step.</summary>
    public static int[] CheckpointSteps(string output) =>
        Directory.EnumerateDirectories(output, TrainingCheckpoint.Prefix + "*")
            .Select(d => int.Parse(Path.GetFileName(d)[TrainingCheckpoint.Prefix.Length..], CultureInfo.InvariantCulture))
            .Order().ToArray();

    /// <summary>Hidden entries (atomic writes' temporaries) left in a directory.</summary>
    public static string[] Hidden(string dir) =>
        Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Where(n => n!.StartsWith('.')).ToArray()!;
}

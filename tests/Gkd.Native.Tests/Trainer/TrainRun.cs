using Gkd.Native.Cli;
using Gkd.Native.Tests.Support;

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

    public static (int Code, string Out, string Err) Gkd(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr, Program.Commands);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The common flags of a tiny run: student, teacher, dataset, output, no logging noise.</summary>
    public static string[] Base(string dataset, string output) =>
    [
        "train", "--model_name_or_path", Student, "--teacher_model_name_or_path", Teacher, "--dataset_name", dataset,
        "--output_dir", output, "--max_length", "64", "--threads", "2",
    ];
}

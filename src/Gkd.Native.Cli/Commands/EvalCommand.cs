using System.Globalization;
using System.Text.Json.Nodes;
using Gkd.Native.Cli.Options;
using Gkd.Native.Core.IO;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Evaluation;
using Gkd.Native.Training.Loss;
using Gkd.Native.Training.Progress;

namespace Gkd.Native.Cli.Commands;

/// <summary>
/// <c>gkd eval</c>: the teacher-forced generalized-JSD distillation gap of a student (optionally with its LoRA
/// adapter) to a teacher on a chat dataset's completions — TRL's eval_loss — written to output_dir/eval_results.json.
/// </summary>
public sealed class EvalCommand : ICommand
{
    public string Name => "eval";
    public string Summary => "Teacher-forced generalized-JSD eval_loss of a student against a teacher on a dataset.";

    public OptionSet Options { get; } = new OptionSet()
        .String("model_name_or_path", null, "Student: checkpoint directory or Hub id in the local cache.", required: true)
        .String("adapter", null, "PEFT LoRA adapter directory to apply to the student.")
        .String("teacher_model_name_or_path", null, "Teacher: checkpoint directory or Hub id in the local cache.", required: true)
        .String("dataset_name", null, "Dataset directory, file, or Hub id in the local datasets cache.", required: true)
        .String("dataset_test_split", "test", "Split to evaluate.")
        .Float("beta", 0.5, "Generalized JSD interpolation: 0 = KL(teacher‖student), 1 = KL(student‖teacher).")
        .Int("max_length", 1024, "Keep the last max_length tokens of each prompt + completion.")
        .Int("per_device_eval_batch_size", 8, "Rows per evaluation batch.")
        .String("output_dir", null, "Where eval_results.json is written.", required: true);

    public EvalCommand() => Devices.AddOptions(Options);

    public int Run(ParsedOptions o, TextWriter output)
    {
        var beta = o.Get<double>("beta");
        if (beta is < 0 or > 1) throw new UsageException($"--beta must lie in [0, 1], got {beta}");
        var batchSize = Positive(o, "per_device_eval_batch_size");
        var maxLength = Positive(o, "max_length");
        var outputDir = o.Get<string>("output_dir");
        using var backend = Devices.Create(o); // first, so --device cuda without a GPU fails before any loading

        var studentDir = Sources.ModelDirectory(o.Get<string>("model_name_or_path"), "--model_name_or_path");
        var teacherDir = Sources.ModelDirectory(o.Get<string>("teacher_model_name_or_path"), "--teacher_model_name_or_path");
        var studentConfig = Sources.Config(studentDir, "--model_name_or_path");
        var teacherConfig = Sources.Config(teacherDir, "--teacher_model_name_or_path");
        if (studentConfig.VocabSize != teacherConfig.VocabSize)
            throw new InvalidDataException($"student and teacher must share a vocabulary: {studentDir} has vocab_size {studentConfig.VocabSize}, {teacherDir} has {teacherConfig.VocabSize}");

        var tokenizer = Sources.Tokenizer(studentDir, "--model_name_or_path");
        var split = o.Get<string>("dataset_test_split");
        var dataset = Sources.Dataset(Sources.DatasetPath(o.Get<string>("dataset_name"), "--dataset_name"), split, "--dataset_name");
        var collator = new ChatCollator(tokenizer, maxLength);
        var rows = dataset.Examples.Select(collator.Tokenize).ToArray();
        var batches = rows.Chunk(batchSize).Select(collator.Collate).ToArray();
        output.WriteLine($"eval: {rows.Length} rows of {dataset.Path} [{split}] in {batches.Length} batches of ≤ {batchSize}");

        o.TryGet<string>("adapter", out var adapter);
        using var student = Sources.Model(backend, studentDir, "--model_name_or_path", adapter);
        using var teacher = Sources.Model(backend, teacherDir, "--teacher_model_name_or_path");
        var evaluator = new DistillEvaluator(new DistillObjective(student, teacher, beta));
        var result = evaluator.Evaluate(batches, new ProgressReporter(output, "eval", batches.Length));

        var metrics = new JsonObject
        {
            ["eval_loss"] = result.EvalLoss,
            ["eval_runtime"] = Math.Round(result.EvalRuntime, 4),
            ["eval_samples_per_second"] = Math.Round(result.EvalSamplesPerSecond, 3),
            ["eval_tokens"] = result.EvalTokens,
            ["eval_tokens_per_second"] = Math.Round(result.EvalTokensPerSecond, 3),
        };
        Directory.CreateDirectory(outputDir);
        AtomicFile.WriteAllText(Path.Combine(outputDir, "eval_results.json"), metrics.ToJsonString(Json.Indented) + "\n");
        output.WriteLine("***** eval metrics *****");
        foreach (var (key, value) in metrics) output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key,-24} = {value}"));
        return 0;
    }

    private static int Positive(ParsedOptions o, string name)
    {
        var v = o.Get<int>(name);
        return v > 0 ? v : throw new UsageException($"--{name} must be positive, got {v}");
    }
}

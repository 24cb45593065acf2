using System.Text.Json.Nodes;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Trainer;

/// <summary>
/// --eval_strategy: eval_loss on the test split enters log_history at each evaluation, and the student's sampled
/// completions for the first test prompts are appended, with their step, to output_dir/completions.jsonl
/// (TRL's LogCompletionsCallback).
/// </summary>
public sealed class EvalStrategyTests
{
    private static readonly string Dataset = TrainRun.Dataset(0, 6, withTest: true);

    private static JsonObject[] History(string output) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(output, "trainer_state.json")))!["log_history"]!.AsArray().Select(e => e!.AsObject()).ToArray();

    private static int[] EvalSteps(string output) =>
        History(output).Where(e => e["eval_loss"] is not null).Select(e => e["step"]!.GetValue<int>()).ToArray();

    [Test]
    public void StepsStrategyLogsEvalLossAndAppendsCompletionsAtEachEvaluation()
    {
        var output = TrainRun.NewOutput("eval-steps");
        var (code, stdout, stderr) = TrainRun.Gkd([
            .. TrainRun.Lora(output, maxSteps: 2, Dataset), "--lmbda", "0", "--max_new_tokens", "4", "--eval_strategy", "steps", "--eval_steps", "1",
        ]);
        Assert.That(code, Is.EqualTo(0), stderr + stdout);
        Assert.That(EvalSteps(output), Is.EqualTo(new[] { 1, 2 }));
        var eval = History(output).Where(e => e["eval_loss"] is not null).ToArray();
        Assert.That(eval.Select(e => e["eval_loss"]!.GetValue<double>()), Has.All.GreaterThan(0).And.All.Not.NaN);

        var lines = File.ReadAllLines(Path.Combine(output, "completions.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
        var testRows = File.ReadAllLines(Path.Combine(Dataset, "test.jsonl")).Select(l => JsonNode.Parse(l)!).ToArray();
        const int prompts = 8; // GkdConfig.LogCompletionsPrompts: the first 8 of the 10 test rows
        Assert.That(lines.Select(l => l["step"]!.GetValue<int>()), Is.EqualTo(Enumerable.Repeat(1, prompts).Concat(Enumerable.Repeat(2, prompts))));
        for (var i = 0; i < lines.Length; i++)
        {
            // The prompt is the row's conversation up to its last user turn, with the generation prompt (its start
            // may be cut by --max_length).
            var lastUser = testRows[i % prompts]["messages"]!.AsArray().Last(m => m!["role"]!.GetValue<string>() == "user")!["content"]!.GetValue<string>();
            Assert.That(lines[i]["prompt"]!.GetValue<string>(), Does.EndWith(lastUser[^Math.Min(12, lastUser.Length)..] + "<|im_end|>\n<|im_start|>assistant\n"), $"line {i}");
            Assert.That(lines[i]["completion"], Is.Not.Null, $"line {i}");
        }

        // The last evaluation saw the final weights: `gkd eval` of the saved adapter gives the same eval_loss.
        var evalDir = TestPaths.TempDir("eval");
        var evaluated = TrainRun.Gkd("eval", "--model_name_or_path", TrainRun.Student, "--teacher_model_name_or_path", TrainRun.Teacher,
            "--dataset_name", Dataset, "--adapter", output, "--max_length", "64", "--threads", "2", "--output_dir", evalDir);
        Assert.That(evaluated.Code, Is.EqualTo(0), evaluated.Err + evaluated.Out);
        var standalone = JsonNode.Parse(File.ReadAllText(Path.Combine(evalDir, "eval_results.json")))!["eval_loss"]!.GetValue<double>();
        Assert.That(eval[^1]["eval_loss"]!.GetValue<double>(), Is.EqualTo(standalone).Within(1e-6).Percent);
    }

    [Test]
    public void EpochStrategyEvaluatesAtTheEndOfEachEpoch()
    {
        // Six rows, two per step: an epoch is three steps.
        var output = TrainRun.NewOutput("eval-epoch");
        var (code, stdout, stderr) = TrainRun.Gkd([
            .. TrainRun.Lora(output, maxSteps: 6, Dataset), "--lmbda", "0", "--max_new_tokens", "2", "--eval_strategy", "epoch",
        ]);
        Assert.That(code, Is.EqualTo(0), stderr + stdout);
        Assert.That(EvalSteps(output), Is.EqualTo(new[] { 3, 6 }));
    }

    [Test]
    public void NoStrategyMeansNoEvaluationAndNoCompletionsFile()
    {
        var output = TrainRun.NewOutput("eval-no");
        var (code, stdout, stderr) = TrainRun.Gkd([.. TrainRun.Lora(output, maxSteps: 1, Dataset), "--lmbda", "0"]);
        Assert.That(code, Is.EqualTo(0), stderr + stdout);
        Assert.That(EvalSteps(output), Is.Empty);
        Assert.That(File.Exists(Path.Combine(output, "completions.jsonl")), Is.False);
    }

    [Test]
    public void StepsStrategyWithoutATestSplitFailsBeforeTraining()
    {
        var output = TrainRun.NewOutput("eval-missing");
        var (code, stdout, stderr) = TrainRun.Gkd([.. TrainRun.Lora(output, maxSteps: 1, TrainRun.Dataset(0, 6)), "--eval_strategy", "steps"]);
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stderr, Does.Contain("--dataset_name").And.Contain("test"));
        Assert.That(stdout, Does.Not.Contain("\"loss\""));
        Assert.That(Directory.Exists(output), Is.False);
    }
}

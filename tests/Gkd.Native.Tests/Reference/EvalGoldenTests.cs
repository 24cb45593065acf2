using System.Text.Json;
using Gkd.Native.Cli;
using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Tests.Reference;

/// <summary>
/// The whole `gkd eval` path — tokenizer, chat template, collator (left truncation, left padding), both models, the
/// fused head and the HF Trainer's batch weighting — against PyTorch's eval_loss on the tiny chat dataset.
/// </summary>
public sealed class EvalGoldenTests
{
    private static JsonElement Golden() => JsonDocument.Parse(File.ReadAllText(TestPaths.Golden("eval.json"))).RootElement;

    [Test]
    public void TokenizerAndCollatorMatchRowByRow()
    {
        var golden = Golden();
        var tokenizer = BpeChatTokenizer.Load(TestPaths.Golden("models", "student-g2-untied-f32"));
        var dataset = DatasetLoader.LoadAsync(TestPaths.Golden("data", "tiny_chat", "test.jsonl")).GetAwaiter().GetResult();
        var collator = new ChatCollator(tokenizer, golden.GetProperty("max_length").GetInt32());
        var rows = golden.GetProperty("rows").EnumerateArray().ToArray();
        Assert.That(dataset.Examples, Has.Count.EqualTo(rows.Length));
        for (var i = 0; i < rows.Length; i++)
        {
            var untruncated = new ChatCollator(tokenizer, null).Tokenize(dataset.Examples[i]);
            Assert.That(untruncated.PromptIds, Is.EqualTo(Ints(rows[i], "prompt_ids")), $"row {i} prompt_ids");
            Assert.That(untruncated.CompletionIds, Is.EqualTo(Ints(rows[i], "completion_ids")), $"row {i} completion_ids");
            var row = collator.Tokenize(dataset.Examples[i]);
            Assert.That(row.PromptIds.Concat(row.CompletionIds), Is.EqualTo(Ints(rows[i], "input_ids")), $"row {i} truncated input_ids");
        }
    }

    private static int[] Ints(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();

    [TestCase(false)]
    [TestCase(true)]
    public void EvalLossThroughTheCli(bool withAdapter)
    {
        var golden = Golden();
        var outDir = TestPaths.TempDir("eval");
        string[] args =
        [
            "eval", "--model_name_or_path", TestPaths.Golden("models", "student-g2-untied-f32"),
            "--teacher_model_name_or_path", TestPaths.Golden("models", "teacher-g2-untied-f32"),
            "--dataset_name", TestPaths.Golden("data", "tiny_chat"), "--dataset_test_split", "test",
            "--beta", "0.5", "--max_length", "64", "--per_device_eval_batch_size", "4", "--output_dir", outDir,
            .. (withAdapter ? (string[])["--adapter", TestPaths.Golden("models", "lora-adapter")] : []),
        ];
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr, Program.Commands);
        Assert.That(code, Is.EqualTo(0), stderr.ToString());
        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "eval_results.json"))).RootElement;
        var expected = golden.GetProperty(withAdapter ? "eval_loss_with_adapter" : "eval_loss").GetDouble();
        Assert.That(results.GetProperty("eval_loss").GetDouble(), Is.EqualTo(expected).Within(1e-3).Percent);
        var tokens = golden.GetProperty("batches").EnumerateArray().Sum(b => b.GetProperty("completion_tokens").GetInt32());
        Assert.That(results.GetProperty("eval_tokens").GetInt64(), Is.EqualTo(tokens));
        Assert.That(stdout.ToString(), Does.Contain("eval_loss"));
    }
}

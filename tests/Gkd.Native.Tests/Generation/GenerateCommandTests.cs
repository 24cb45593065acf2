using System.Text.Json;
using Gkd.Native.Cli;
using Gkd.Native.Cli.Commands;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Generation;

/// <summary><c>gkd generate</c> run in-process on the tiny checkpoints: the streamed text, the speed line, flag errors.</summary>
public sealed class GenerateCommandTests
{
    private static readonly GenerationGolden Golden = GenerationGolden.Instance;
    private static string Model(string name = "student-g2-untied-f32") => TestPaths.Golden("models", name);

    private static (int Code, string Out, string Err) Generate(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(["generate", .. args], stdout, stderr, [new GenerateCommand(stderr)]);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [TestCase(0, 2)]
    [TestCase(1, 0)]
    [TestCase(2, 1)]
    public void StreamsThePyTorchGreedyCompletion(int run, int prompt)
    {
        var expected = Golden.Runs[run];
        string[] adapter = expected.Adapter is null ? [] : ["--adapter", TestPaths.Golden(expected.Adapter.Split('/'))];
        var (code, output, error) = Generate(["--model_name_or_path", Model(expected.Model), "--prompt", Golden.PromptTexts[prompt],
            "--max_new_tokens", "12", "--threads", "2", .. adapter]);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0), error);
            Assert.That(output, Is.EqualTo(expected.Texts[prompt] + "\n"));
            Assert.That(error, Does.Match(@$"^{expected.Completions[prompt].Length} tokens in [0-9.]+ s: [0-9.]+ tokens/s \(prompt {Golden.Prompts[prompt].Length} tokens"));
        });
    }

    [Test]
    public void MessagesFileIsRenderedWithTheChatTemplate()
    {
        var dir = TestPaths.TempDir("generate");
        var path = Path.Combine(dir, "messages.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new[] { new { role = "user", content = Golden.PromptTexts[1] } }));
        var (code, output, error) = Generate("--model_name_or_path", Model(), "--messages", path, "--max_new_tokens", "12");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Is.EqualTo(Golden.Runs[0].Texts[1] + "\n"));
    }

    [Test]
    public void SamplingFlagsAreReproducibleFromTheSeed()
    {
        string[] args = ["--model_name_or_path", Model(), "--prompt", "Hi", "--max_new_tokens", "20", "--temperature", "1.2", "--top_k", "40", "--top_p", "0.95"];
        var a = Generate([.. args, "--seed", "5"]);
        var b = Generate([.. args, "--seed", "5"]);
        var c = Generate([.. args, "--seed", "6"]);
        Assert.Multiple(() =>
        {
            Assert.That((a.Code, b.Code, c.Code), Is.EqualTo((0, 0, 0)), a.Err + b.Err + c.Err);
            Assert.That(b.Out, Is.EqualTo(a.Out));
            Assert.That(c.Out, Is.Not.EqualTo(a.Out));
            Assert.That(a.Out, Is.Not.EqualTo(Golden.Runs[0].Texts[0] + "\n"), "sampling, not greedy");
        });
    }

    [Test]
    public void SamplingFlagsWithoutTemperatureStayGreedyAsInTransformers()
    {
        var (code, output, error) = Generate("--model_name_or_path", Model(), "--prompt", Golden.PromptTexts[0], "--max_new_tokens", "12", "--top_p", "0.5");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0), error);
            Assert.That(output, Is.EqualTo(Golden.Runs[0].Texts[0] + "\n"));
            Assert.That(error, Does.StartWith("note: generation_config.json has do_sample false"));
        });
    }

    [Test]
    public void HelpListsTheVerb()
    {
        using var stdout = new StringWriter();
        Assert.That(Program.Run(["--help"], stdout, TextWriter.Null, Program.Commands), Is.EqualTo(0));
        Assert.That(stdout.ToString(), Does.Contain("generate"));
    }

    [TestCase(new string[0], "exactly one of --prompt TEXT or --messages FILE.json")]
    [TestCase(new[] { "--prompt", "Hi", "--messages", "m.json" }, "exactly one of --prompt")]
    [TestCase(new[] { "--prompt", "Hi", "--max_new_tokens", "0" }, "--max_new_tokens must be positive")]
    [TestCase(new[] { "--prompt", "Hi", "--top_p", "1.5" }, "--top_p must lie in (0, 1]")]
    [TestCase(new[] { "--prompt", "Hi", "--top_k", "-3" }, "--top_k must be ≥ 0")]
    [TestCase(new[] { "--prompt", "Hi", "--temperature", "-1" }, "--temperature must be ≥ 0")]
    [TestCase(new[] { "--prompt", "Hi", "--seed", "-1" }, "--seed must be ≥ 0")]
    [TestCase(new[] { "--prompt", "Hi", "--max_new_token", "3" }, "did you mean '--max_new_tokens'?")]
    public void UsageMistakesExitTwoNamingTheFlag(string[] args, string message)
    {
        var (code, _, error) = Generate(["--model_name_or_path", Model(), .. args]);
        Assert.That(code, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain(message));
    }

    [Test]
    public void BadFilesExitOneNamingTheFlagAndFile()
    {
        var dir = TestPaths.TempDir("generate-bad");
        var missing = Path.Combine(dir, "missing.json");
        var notAList = Path.Combine(dir, "object.json");
        File.WriteAllText(notAList, "{\"role\": \"user\"}");
        var badMessage = Path.Combine(dir, "bad.json");
        File.WriteAllText(badMessage, "[{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"user\"}]");
        var noModel = Path.Combine(dir, "no-model");
        var results = new[]
        {
            (Generate("--model_name_or_path", Model(), "--messages", missing), $"error: --messages: cannot read {missing}: "),
            (Generate("--model_name_or_path", Model(), "--messages", notAList), $"error: --messages: {notAList} must hold a non-empty JSON list"),
            (Generate("--model_name_or_path", Model(), "--messages", badMessage), "error: --messages: " + badMessage + ": message 1 must be an object"),
            (Generate("--model_name_or_path", noModel, "--prompt", "Hi"), "error: --model_name_or_path: "),
            (Generate("--model_name_or_path", Model(), "--prompt", "Hi", "--adapter", Path.Combine(dir, "no-adapter")), "error: --adapter: "),
        };
        Assert.Multiple(() =>
        {
            foreach (var ((code, _, error), start) in results)
            {
                Assert.That(code, Is.EqualTo(1), error);
                Assert.That(error, Does.StartWith(start));
            }
        });
    }
}

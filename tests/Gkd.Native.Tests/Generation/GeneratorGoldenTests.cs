using Gkd.Native.Cpu;
using Gkd.Native.Training.Generation;

namespace Gkd.Native.Tests.Generation;

/// <summary>Greedy generation over the KV cache against PyTorch's full-forward greedy loop, batched and alone.</summary>
public sealed class GeneratorGoldenTests
{
    private static readonly GenerationGolden Golden = GenerationGolden.Instance;

    [TestCase(0, TestName = "student")]
    [TestCase(1, TestName = "teacher")]
    [TestCase(2, TestName = "student + lora-adapter")]
    public void LeftPaddedBatchMatchesPyTorch(int run)
    {
        var expected = Golden.Runs[run];
        using var be = new CpuBackend(2);
        using var model = GenerationGolden.LoadModel(be, expected.Model, expected.Adapter);
        var result = new Generator(model).Generate(PromptBatch.LeftPad(Golden.Prompts, Golden.PadTokenId), Golden.Greedy, seed: 0);
        Assert.Multiple(() =>
        {
            Assert.That(result.Completions, Is.EqualTo(expected.Completions), "completions");
            Assert.That(result.NewTokens, Is.EqualTo(expected.Tokens[0].Length), "Tnew");
            Assert.That(result.Tokens, Is.EqualTo(expected.Tokens.SelectMany(r => r).ToArray()), "padded block");
            Assert.That(result.Finished, Is.EqualTo(expected.Finished), "finished");
        });
    }

    [TestCase(0, TestName = "student alone")]
    [TestCase(1, TestName = "teacher alone")]
    [TestCase(2, TestName = "student + lora-adapter alone")]
    public void EachPromptAloneMatchesPyTorch(int run)
    {
        var expected = Golden.Runs[run];
        using var be = new CpuBackend(2);
        using var model = GenerationGolden.LoadModel(be, expected.Model, expected.Adapter);
        var generator = new Generator(model);
        for (var i = 0; i < Golden.Prompts.Length; i++)
        {
            var result = generator.Generate(PromptBatch.LeftPad([Golden.Prompts[i]], Golden.PadTokenId), Golden.Greedy, seed: 0);
            Assert.That(result.Completions[0], Is.EqualTo(expected.Completions[i]), $"prompt {i}");
            Assert.That(result.NewTokens, Is.EqualTo(expected.Completions[i].Length), $"prompt {i}: a lone row stops at its EOS");
        }
    }
}

using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Tests.Generation;

/// <summary>The generator's contract: seeding, EOS stopping and padding, early stop, the step callback, its inputs.</summary>
public sealed class GeneratorTests
{
    private static readonly GenerationGolden Golden = GenerationGolden.Instance;
    private const string Student = "student-g2-untied-f32";

    private static PromptBatch Prompts => PromptBatch.LeftPad(Golden.Prompts, Golden.PadTokenId);

    private static GenerationOptions Sampling(int maxNew = 12, params int[] eos) => new()
    {
        MaxNewTokens = maxNew, Temperature = 0.9f, EosTokenIds = eos, PadTokenId = Golden.PadTokenId,
    };

    [Test]
    public void SameSeedGivesTheSameTokensOnAnyThreadCount()
    {
        using var one = new CpuBackend(1);
        using var three = new CpuBackend(3);
        using var m1 = GenerationGolden.LoadModel(one, Student);
        using var m3 = GenerationGolden.LoadModel(three, Student);
        var a = new Generator(m1).Generate(Prompts, Sampling(), seed: 7);
        var b = new Generator(m3).Generate(Prompts, Sampling(), seed: 7);
        var c = new Generator(m1).Generate(Prompts, Sampling(), seed: 8);
        Assert.Multiple(() =>
        {
            Assert.That(b.Tokens, Is.EqualTo(a.Tokens), "same seed, 1 vs 3 threads");
            Assert.That(c.Tokens, Is.Not.EqualTo(a.Tokens), "another seed");
        });
    }

    [Test]
    public void RowBAtStepIDrawsStreamElementOffsetPlusIBPlusB()
    {
        const ulong seed = 11, offset = 1000;
        const int maxNew = 6;
        using var be = new CpuBackend(2);
        using var model = GenerationGolden.LoadModel(be, Student);
        var prompts = Prompts;
        var result = new Generator(model).Generate(prompts, Sampling(maxNew), seed, offset);

        // The same loop by hand: prefill, then decode steps feeding each step's tokens, Sample at offset + i·B.
        int batch = prompts.Batch, vocab = model.Config.VocabSize;
        using var cache = new KvCache(be, model.Config, batch, prompts.Time + maxNew);
        using var input = ModelInput.Create(be, prompts.Ids, prompts.Start, prompts.Time);
        using var logits = be.Allocate(new Shape(batch, vocab), DType.F32);
        using var tokens = be.Allocate(new Shape(batch), DType.I32);
        var expected = new int[batch * maxNew];
        for (var i = 0; i < maxNew; i++)
        {
            Tensor hidden;
            if (i == 0) hidden = model.Prefill(cache, input);
            else
            {
                using var pos = be.FromArray(Enumerable.Range(0, batch).Select(b => prompts.Length(b) + i - 1).ToArray(), batch);
                hidden = model.DecodeStep(cache, tokens, pos);
            }
            using (hidden) be.Matmul(logits, hidden, model.LmHead, false, true, 1f, 0f);
            be.Sample(tokens, logits, 0.9f, 0, 1f, seed, offset + (ulong)(i * batch));
            var step = tokens.ToIntArray();
            for (var b = 0; b < batch; b++) expected[b * maxNew + i] = step[b];
        }
        Assert.That(result.Tokens, Is.EqualTo(expected));
    }

    [Test]
    public void TemperatureZeroIsGreedyWhateverTheSeed()
    {
        using var be = new CpuBackend(2);
        using var model = GenerationGolden.LoadModel(be, Student);
        var generator = new Generator(model);
        var a = generator.Generate(Prompts, Golden.Greedy, seed: 1);
        var b = generator.Generate(Prompts, Golden.Greedy, seed: 2, offset: 99);
        Assert.That(b.Tokens, Is.EqualTo(a.Tokens));
        Assert.That(a.Completions, Is.EqualTo(Golden.Runs[0].Completions));
    }

    [Test]
    public void ARowEndsAtItsFirstEosAndIsPaddedAfterIt()
    {
        using var be = new CpuBackend(2);
        using var model = GenerationGolden.LoadModel(be, Student);
        var generator = new Generator(model);
        var free = generator.Generate(Prompts, Sampling(), seed: 3); // no EOS: every row runs 12 tokens
        Assert.That(free.Completions.Select(c => c.Length), Is.All.EqualTo(12));
        var row0 = free.Completions[0];
        var stop = Enumerable.Range(1, 10).First(s => Array.IndexOf(row0, row0[s]) == s); // a token first met at step s
        var eos = row0[stop];

        var result = generator.Generate(Prompts, Sampling(12, eos), seed: 3);
        var expected = free.Completions.Select(c => Array.IndexOf(c, eos) is var at and >= 0 ? c[..(at + 1)] : c).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(result.Completions, Is.EqualTo(expected), "completions cut after their first EOS");
            Assert.That(result.Completions[0], Has.Length.EqualTo(stop + 1));
            Assert.That(result.Finished, Is.EqualTo(expected.Select(c => c[^1] == eos).ToArray()));
            Assert.That(result.NewTokens, Is.EqualTo(expected.Max(c => c.Length)));
            for (var b = 0; b < result.Batch; b++)
            {
                var row = result.Tokens.AsSpan(b * result.NewTokens, result.NewTokens).ToArray();
                Assert.That(row[..expected[b].Length], Is.EqualTo(expected[b]), $"row {b}");
                Assert.That(row[expected[b].Length..], Is.All.EqualTo(Golden.PadTokenId), $"row {b} after its EOS");
            }
        });
    }

    [Test]
    public void GenerationStopsOnceEveryRowHasFinished()
    {
        using var be = new CpuBackend(2);
        using var model = GenerationGolden.LoadModel(be, Student);
        var generator = new Generator(model);
        var free = generator.Generate(Prompts, Sampling(), seed: 4);
        var eos = free.Completions.Select(c => c[2]).Distinct().ToArray(); // every row meets one by step 2
        var steps = new List<GenerationStep>();
        var result = generator.Generate(Prompts, Sampling(12, eos), seed: 4, onStep: steps.Add);
        Assert.Multiple(() =>
        {
            Assert.That(result.Finished, Is.All.True);
            Assert.That(result.NewTokens, Is.LessThanOrEqualTo(3));
            Assert.That(steps.Select(s => s.Index), Is.EqualTo(Enumerable.Range(0, result.NewTokens)), "one callback per step run");
            for (var b = 0; b < result.Batch; b++)
            {
                Assert.That(steps.Where(s => s.Emitted[b]).Select(s => s.Tokens[b]), Is.EqualTo(result.Completions[b]), $"row {b}: emitted tokens");
                Assert.That(steps.Select(s => s.Tokens[b]), Is.EqualTo(result.Tokens.AsSpan(b * result.NewTokens, result.NewTokens).ToArray()), $"row {b}: step tokens");
            }
        });
    }

    [Test]
    public void OneNewTokenNeedsNoDecodeStep()
    {
        using var be = new CpuBackend(2);
        using var model = GenerationGolden.LoadModel(be, Student);
        var result = new Generator(model).Generate(Prompts, Golden.Greedy with { MaxNewTokens = 1 }, seed: 0);
        Assert.That(result.Completions.Select(c => c.Single()), Is.EqualTo(Golden.Runs[0].Completions.Select(c => c[0])));
    }

    [Test]
    public void RefusesSettingsTheSamplerCannotUse()
    {
        using var be = new CpuBackend(2);
        using var model = GenerationGolden.LoadModel(be, Student);
        var generator = new Generator(model);
        Assert.Multiple(() =>
        {
            Assert.That(() => generator.Generate(Prompts, Golden.Greedy with { MaxNewTokens = 0 }, 0), Throws.ArgumentException.With.Message.Contains("max_new_tokens"));
            Assert.That(() => generator.Generate(Prompts, Golden.Greedy with { TopP = 0f }, 0), Throws.ArgumentException.With.Message.Contains("top_p"));
            Assert.That(() => generator.Generate(Prompts, Golden.Greedy with { Temperature = -1f }, 0), Throws.ArgumentException.With.Message.Contains("temperature"));
            Assert.That(() => generator.Generate(Prompts, Golden.Greedy with { PadTokenId = 288 }, 0), Throws.ArgumentException.With.Message.Contains("pad_token_id"));
            Assert.That(() => generator.Generate(Prompts, Golden.Greedy with { EosTokenIds = [-1] }, 0), Throws.ArgumentException.With.Message.Contains("eos_token_id"));
        });
    }

    [Test]
    public void PromptBatchesAreLeftPaddedAndNeverEmpty()
    {
        var batch = PromptBatch.LeftPad([[1, 2, 3], [4]], 9);
        Assert.Multiple(() =>
        {
            Assert.That(batch.Ids, Is.EqualTo(new[] { 1, 2, 3, 9, 9, 4 }));
            Assert.That(batch.Start, Is.EqualTo(new[] { 0, 2 }));
            Assert.That((batch.Time, batch.Length(0), batch.Length(1)), Is.EqualTo((3, 3, 1)));
            Assert.That(() => PromptBatch.LeftPad([[1], []], 9), Throws.ArgumentException.With.Message.Contains("row 1"));
        });
        var chat = new ChatBatch
        {
            B = 2, T = 4, InputIds = new int[8], AttentionMask = new int[8], Labels = new int[8], Start = [0, 1],
            PromptT = 3, PromptIds = [1, 2, 3, 9, 4, 5], PromptStart = [0, 1], PromptLength = [3, 2], CompletionTokenCount = 0,
        };
        var fromChat = PromptBatch.From(chat);
        Assert.That((fromChat.Ids, fromChat.Start, fromChat.Time), Is.EqualTo((chat.PromptIds, chat.PromptStart, chat.PromptT)));
    }
}

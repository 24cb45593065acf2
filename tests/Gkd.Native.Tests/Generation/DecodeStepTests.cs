using Gkd.Native.Core.Autograd;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Tests.Generation;

/// <summary>
/// The cached path against the model's full forward: the prefill's and every decode step's logits equal the full
/// forward's last-position logits over the same left-padded tokens (f32, 1e-5), for tied and untied heads, GQA
/// groups 1, 2, 4, a bf16 checkpoint and a LoRA adapter.
/// </summary>
public sealed class DecodeStepTests
{
    private const int Steps = 5;

    [TestCase("student-g1-tied-f32", null)]
    [TestCase("student-g2-untied-f32", null)]
    [TestCase("student-g4-tied-bf16", null)]
    [TestCase("teacher-g2-untied-f32", null)]
    [TestCase("student-g2-untied-f32", "models/lora-adapter")]
    public void PrefillAndDecodeStepLogitsEqualTheFullForward(string name, string? adapter)
    {
        var golden = GenerationGolden.Instance;
        using var be = new CpuBackend(2);
        using var model = GenerationGolden.LoadModel(be, name, adapter);
        var prompts = PromptBatch.LeftPad(golden.Prompts, golden.PadTokenId);
        int batch = prompts.Batch, time = prompts.Time, vocab = model.Config.VocabSize;
        var rng = new Random(17);
        var fed = new int[Steps, batch]; // the token each row feeds at each decode step
        for (var i = 0; i < Steps; i++)
            for (var b = 0; b < batch; b++) fed[i, b] = rng.Next(vocab);

        using var cache = new KvCache(be, model.Config, batch, time + Steps);
        using var input = ModelInput.Create(be, prompts.Ids, prompts.Start, time);
        using (var hidden = model.Prefill(cache, input))
            Close.Assert(Logits(model, hidden), FullForwardLastLogits(model, prompts, fed, 0), Close.F32, $"{name}: prefill");
        Assert.That(cache.Length, Is.EqualTo(time));
        for (var i = 0; i < Steps; i++)
        {
            var ids = Enumerable.Range(0, batch).Select(b => fed[i, b]).ToArray();
            var positions = Enumerable.Range(0, batch).Select(b => prompts.Length(b) + i).ToArray();
            using var tIds = be.FromArray(ids, batch);
            using var tPositions = be.FromArray(positions, batch);
            using var hidden = model.DecodeStep(cache, tIds, tPositions);
            Close.Assert(Logits(model, hidden), FullForwardLastLogits(model, prompts, fed, i + 1), Close.F32, $"{name}: decode step {i}");
        }
        Assert.That(cache.Length, Is.EqualTo(time + Steps));
    }

    [Test]
    public void DecodeStepRefusesAFullOrEmptyCache()
    {
        var golden = GenerationGolden.Instance;
        using var be = new CpuBackend(2);
        using var model = GenerationGolden.LoadModel(be, "student-g2-untied-f32");
        var prompt = golden.Prompts[0];
        using var cache = new KvCache(be, model.Config, 1, prompt.Length);
        using var ids = be.FromArray([5], 1);
        using var positions = be.FromArray([prompt.Length], 1);
        Assert.That(() => model.DecodeStep(cache, ids, positions), Throws.InvalidOperationException.With.Message.Contains("prefilled"));
        using var input = ModelInput.Create(be, prompt, [0], prompt.Length);
        model.Prefill(cache, input).Dispose();
        Assert.That(() => model.DecodeStep(cache, ids, positions), Throws.InvalidOperationException.With.Message.Contains("free slot"));
        using var longer = ModelInput.Create(be, [.. prompt, 7], [0], prompt.Length + 1);
        Assert.That(() => model.Prefill(cache, longer), Throws.ArgumentException.With.Message.Contains("does not fit"));
    }

    /// <summary>(B, V) = hidden (B, C) · LM headᵀ.</summary>
    private static float[] Logits(Qwen2Model model, Tensor hidden)
    {
        var be = model.Backend;
        using var logits = be.Allocate(new Shape(checked((int)hidden.Shape.Rows), model.Config.VocabSize), DType.F32);
        be.Matmul(logits, hidden, model.LmHead, false, true, 1f, 0f);
        return logits.ToFloatArray();
    }

    /// <summary>
    /// The full forward over each prompt followed by its first <paramref name="fedCount"/> fed tokens, left-padded as
    /// the prompts are: the logits of every row's last position, (B, V).
    /// </summary>
    private static float[] FullForwardLastLogits(Qwen2Model model, PromptBatch prompts, int[,] fed, int fedCount)
    {
        var be = model.Backend;
        int batch = prompts.Batch, time = prompts.Time + fedCount, vocab = model.Config.VocabSize;
        var ids = new int[batch * time];
        for (var b = 0; b < batch; b++)
        {
            prompts.Ids.AsSpan(b * prompts.Time, prompts.Time).CopyTo(ids.AsSpan(b * time));
            for (var i = 0; i < fedCount; i++) ids[b * time + prompts.Time + i] = fed[i, b];
        }
        using var input = ModelInput.Create(be, ids, prompts.Start, time);
        using var hidden = model.Forward(Tape.NoGrad, input); // (B·T, C)
        var all = Logits(model, hidden);                       // (B·T, V)
        var last = new float[batch * vocab];
        for (var b = 0; b < batch; b++) all.AsSpan(((b + 1) * time - 1) * vocab, vocab).CopyTo(last.AsSpan(b * vocab));
        return last;
    }
}

using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Tests.Generation;

/// <summary>
/// Sampled next-token frequencies at a fixed context against transformers' distribution (temperature, top-k and
/// top-p warpers, then softmax) from PyTorch, by chi-square at a false-alarm rate of 1e-6
/// (<see cref="ChiSquare.FalseAlarm"/>): 10⁵ draws from the model's own logits per setting.
/// </summary>
public sealed class SamplingFrequencyTests
{
    private static readonly GenerationGolden Golden = GenerationGolden.Instance;

    /// <summary>The model's next-token logits (V) at the golden context, through the prefill and the LM head.</summary>
    private static float[] ContextLogits(CpuBackend be)
    {
        using var model = GenerationGolden.LoadModel(be, Golden.SamplingModel);
        using var cache = new KvCache(be, model.Config, 1, Golden.Context.Length);
        using var input = ModelInput.Create(be, Golden.Context, [0], Golden.Context.Length);
        using var hidden = model.Prefill(cache, input); // (1, C)
        using var logits = be.Allocate(new Shape(1, model.Config.VocabSize), DType.F32);
        be.Matmul(logits, hidden, model.LmHead, false, true, 1f, 0f);
        return logits.ToFloatArray();
    }

    [Test]
    public void ContextLogitsMatchPyTorch()
    {
        using var be = new CpuBackend(2);
        Close.Assert(ContextLogits(be), Golden.Logits, Close.F32, "next-token logits");
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void FrequenciesMatchTransformersDistribution(int index)
    {
        const int rows = 1000, calls = 100;
        var c = Golden.Cases[index];
        using var be = new CpuBackend(2);
        var logits = ContextLogits(be);
        var v = logits.Length;
        using var replicated = be.FromArray(Enumerable.Repeat(logits, rows).SelectMany(x => x).ToArray(), rows, v); // (rows, V)
        using var tokens = be.Allocate(new Shape(rows), DType.I32);
        var counts = new long[v];
        for (var call = 0; call < calls; call++)
        {
            be.Sample(tokens, replicated, c.Temperature, c.TopK, c.TopP, 99, (ulong)(call * rows));
            foreach (var t in tokens.ToIntArray()) counts[t]++;
        }
        ChiSquare.AssertFits(counts, c.Probs, $"temperature {c.Temperature}, top_k {c.TopK}, top_p {c.TopP}");
    }

    [Test]
    public void FirstTokensOfTheGeneratorFollowTheDistribution()
    {
        const int rows = 500, calls = 4; // 2000 draws through prefill, head and sampler
        var c = Golden.Cases[0];
        using var be = new CpuBackend(2);
        using var model = GenerationGolden.LoadModel(be, Golden.SamplingModel);
        var generator = new Generator(model);
        var prompts = PromptBatch.LeftPad(Enumerable.Repeat(Golden.Context, rows).ToArray(), Golden.PadTokenId);
        var options = new GenerationOptions
        {
            MaxNewTokens = 1, Temperature = c.Temperature, TopK = c.TopK, TopP = c.TopP, EosTokenIds = [], PadTokenId = Golden.PadTokenId,
        };
        var counts = new long[model.Config.VocabSize];
        for (var call = 0; call < calls; call++)
            foreach (var t in generator.Generate(prompts, options, seed: 5, offset: (ulong)(call * rows)).Tokens) counts[t]++;
        ChiSquare.AssertFits(counts, c.Probs, "first generated tokens");
    }
}

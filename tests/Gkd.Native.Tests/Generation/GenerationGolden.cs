using System.Text.Json;
using Gkd.Native.Core.Backends;
using Gkd.Native.Tests.Reference;
using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Tests.Generation;

/// <summary>golden/generation.json (make_golden.py section G): PyTorch's greedy completions and sampling distributions.</summary>
internal sealed class GenerationGolden
{
    /// <summary>One model's greedy completions of every prompt: per row up to and including the EOS, and the padded block.</summary>
    public sealed record Run(string Model, string? Adapter, int[][] Completions, int[][] Tokens, string[] Texts, bool[] Finished);

    /// <summary>transformers' sampling distribution at the fixed context for one setting.</summary>
    public sealed record SamplingCase(float Temperature, int TopK, float TopP, double[] Probs);

    private GenerationGolden(JsonElement root)
    {
        EosTokenIds = Ints(root.GetProperty("eos_token_id"));
        PadTokenId = root.GetProperty("pad_token_id").GetInt32();
        MaxNewTokens = root.GetProperty("max_new_tokens").GetInt32();
        Prompts = root.GetProperty("prompts").EnumerateArray().Select(p => Ints(p.GetProperty("ids"))).ToArray();
        PromptTexts = root.GetProperty("prompts").EnumerateArray().Select(p => p.GetProperty("text").GetString()!).ToArray();
        Runs = root.GetProperty("runs").EnumerateArray().Select(r => new Run(
            r.GetProperty("model").GetString()!,
            r.GetProperty("adapter").GetString(),
            r.GetProperty("completions").EnumerateArray().Select(Ints).ToArray(),
            r.GetProperty("tokens").EnumerateArray().Select(Ints).ToArray(),
            r.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray(),
            r.GetProperty("finished").EnumerateArray().Select(f => f.GetBoolean()).ToArray())).ToArray();
        var s = root.GetProperty("sampling");
        SamplingModel = s.GetProperty("model").GetString()!;
        Context = Ints(s.GetProperty("context_ids"));
        Logits = s.GetProperty("logits").EnumerateArray().Select(x => (float)x.GetDouble()).ToArray();
        Cases = s.GetProperty("cases").EnumerateArray().Select(c => new SamplingCase(
            (float)c.GetProperty("temperature").GetDouble(), c.GetProperty("top_k").GetInt32(), (float)c.GetProperty("top_p").GetDouble(),
            c.GetProperty("probs").EnumerateArray().Select(x => x.GetDouble()).ToArray())).ToArray();
    }

    public static GenerationGolden Instance { get; } =
        new(JsonDocument.Parse(File.ReadAllText(TestPaths.Golden("generation.json"))).RootElement);

    public int[] EosTokenIds { get; }
    public int PadTokenId { get; }
    public int MaxNewTokens { get; }
    public int[][] Prompts { get; }
    public string[] PromptTexts { get; }
    public Run[] Runs { get; }
    public string SamplingModel { get; }
    public int[] Context { get; }
    public float[] Logits { get; }
    public SamplingCase[] Cases { get; }

    /// <summary>transformers' greedy settings of the goldens: temperature 0, EOS [284, 282], pad 282.</summary>
    public GenerationOptions Greedy => new() { MaxNewTokens = MaxNewTokens, Temperature = 0f, EosTokenIds = EosTokenIds, PadTokenId = PadTokenId };

    /// <summary>A golden tiny checkpoint on the backend, with the golden adapter when one is named.</summary>
    public static Qwen2Model LoadModel(IBackend backend, string name, string? adapter = null)
    {
        var model = ModelGoldenTests.LoadModel(backend, name);
        if (adapter is not null) LoraAdapter.Load(model, TestPaths.Golden(adapter.Split('/')));
        return model;
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
}

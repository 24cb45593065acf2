using System.Text.Json;
using Gkd.Native.Core.IO;

namespace Gkd.Native.Training.Generation;

/// <summary>
/// A checkpoint's generation settings (generation_config.json, which is optional), with transformers' defaults for
/// what it leaves out. Token ids missing there come from config.json. The GKD trainer overrides the sampling
/// fields with its own (TRL) values; the EOS ids are what it keeps.
/// </summary>
public sealed class GenerationConfig
{
    /// <summary>Stands in for a missing generation_config.json: every field takes its default.</summary>
    private static readonly JsonConfig Absent = new(JsonElement.Parse("{}"), "(no generation_config.json)");

    /// <summary>Tokens that end a sequence (Qwen2-Instruct: [151645, 151643]); empty when neither file names one.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    public int? PadTokenId { get; init; }
    public int? BosTokenId { get; init; }
    public bool DoSample { get; init; }
    public double Temperature { get; init; } = 1.0;
    public double TopP { get; init; } = 1.0;

    /// <summary>Top-k filter; 0 disables it.</summary>
    public int TopK { get; init; } = 50;

    public int? MaxNewTokens { get; init; }

    public static GenerationConfig FromCheckpoint(HfCheckpoint checkpoint) =>
        Parse(checkpoint.GenerationConfig, checkpoint.Config);

    /// <summary>Reads a model directory's generation_config.json and config.json; either may be absent, not both.</summary>
    public static GenerationConfig Load(string modelDirectory)
    {
        var dir = Path.GetFullPath(modelDirectory);
        var generationPath = Path.Combine(dir, HfCheckpoint.GenerationConfigFileName);
        var modelPath = Path.Combine(dir, HfCheckpoint.ConfigFileName);
        var generation = File.Exists(generationPath) ? JsonConfig.Load(generationPath) : null;
        var model = File.Exists(modelPath) ? JsonConfig.Load(modelPath) : null;
        if (generation is null && model is null)
            throw new FileNotFoundException(
                $"{dir} has neither {HfCheckpoint.GenerationConfigFileName} nor {HfCheckpoint.ConfigFileName}");
        return Parse(generation, model);
    }

    /// <summary>Settings from generation_config.json (when given); token ids it lacks come from config.json.</summary>
    public static GenerationConfig Parse(JsonConfig? generation, JsonConfig? model)
    {
        int[]? Ids(string field) => generation?.OptionalIntOrList(field) ?? model?.OptionalIntOrList(field);
        int? Id(string field) => generation?.OptionalInt(field) ?? model?.OptionalInt(field);
        var g = generation ?? Absent;

        var config = new GenerationConfig
        {
            EosTokenIds = Ids("eos_token_id") ?? [],
            PadTokenId = Id("pad_token_id"),
            BosTokenId = Id("bos_token_id"),
            DoSample = g.Bool("do_sample", false),
            Temperature = g.Double("temperature", 1.0),
            TopP = g.Double("top_p", 1.0),
            TopK = g.OptionalInt("top_k") ?? 50,
            MaxNewTokens = g.OptionalInt("max_new_tokens"),
        };
        // Like transformers, the sampling fields only have to make sense when sampling is on.
        if (config.DoSample && !(config.Temperature > 0))
            throw g.Error("temperature", $"is {config.Temperature}; it must be positive when do_sample is true");
        if (config.DoSample && !(config.TopP > 0 && config.TopP <= 1))
            throw g.Error("top_p", $"is {config.TopP}; it must be in (0, 1] when do_sample is true");
        if (config.DoSample && config.TopK < 0)
            throw g.Error("top_k", $"is {config.TopK}; it must be 0 (off) or positive when do_sample is true");
        if (config.MaxNewTokens is <= 0)
            throw g.Error("max_new_tokens", $"is {config.MaxNewTokens}; it must be positive");
        return config;
    }
}

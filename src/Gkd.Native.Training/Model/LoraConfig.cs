using System.Text.Json;
using System.Text.Json.Nodes;
using Gkd.Native.Core.IO;

namespace Gkd.Native.Training.Model;

/// <summary>
/// A LoRA adapter's hyper-parameters, as PEFT's adapter_config.json states them. Scaling is α/r, or α/√r with
/// rsLoRA. Target modules match a projection's short name ("q_proj") or, as in PEFT, a suffix of its path;
/// "all-linear" means every projection of the decoder layers (never the LM head).
/// </summary>
public sealed record LoraConfig(int R, double Alpha, double Dropout, IReadOnlyList<string> TargetModules, bool UseRslora = false)
{
    public const string FileName = "adapter_config.json";
    public const string AllLinear = "all-linear";

    /// <summary>PEFT's default targets for qwen2.</summary>
    public static IReadOnlyList<string> DefaultTargets { get; } = ["q_proj", "v_proj"];

    public float Scaling => (float)(UseRslora ? Alpha / Math.Sqrt(R) : Alpha / R);

    public bool Targets(Projection p) =>
        TargetModules.Contains(AllLinear) || TargetModules.Any(t => t == p.Kind || p.Path == t || p.Path.EndsWith("." + t, StringComparison.Ordinal));

    /// <summary>Checks the values a run would otherwise fail on later; names the offending field.</summary>
    public void Validate(string source)
    {
        if (R <= 0) throw new InvalidDataException($"{source}: r must be positive, got {R}");
        if (Alpha <= 0) throw new InvalidDataException($"{source}: lora_alpha must be positive, got {Alpha}");
        if (Dropout is < 0 or >= 1) throw new InvalidDataException($"{source}: lora_dropout must be in [0, 1), got {Dropout}");
        if (TargetModules.Count == 0) throw new InvalidDataException($"{source}: target_modules is empty");
    }

    /// <summary>Reads adapter_config.json, refusing PEFT features this engine does not implement.</summary>
    public static LoraConfig Load(string adapterDir)
    {
        var json = JsonConfig.Load(Path.Combine(adapterDir, FileName));
        var type = json.OptionalString("peft_type");
        if (type is not null && type != "LORA") throw json.Error("peft_type", $"is '{type}'; only LORA adapters are supported");
        if (json.Bool("use_dora", false)) throw json.Error("use_dora", "is true; DoRA is not implemented");
        if (json.Bool("fan_in_fan_out", false)) throw json.Error("fan_in_fan_out", "is true; only nn.Linear-shaped (out, in) weights are supported");
        if (json.OptionalString("bias") is { } bias && bias != "none") throw json.Error("bias", $"is '{bias}'; only \"none\" is supported");
        foreach (var field in new[] { "modules_to_save", "layers_to_transform" })
            if (json.TryGet(field, out var v) && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
                throw json.Error(field, "is set; this is not supported");
        foreach (var field in new[] { "rank_pattern", "alpha_pattern" })
            if (json.TryGet(field, out var v) && v.ValueKind == JsonValueKind.Object && v.EnumerateObject().Any())
                throw json.Error(field, "is not empty; per-module ranks and alphas are not supported");
        var targets = json.TryGet("target_modules", out var t) ? t.ValueKind switch
        {
            JsonValueKind.String => [t.GetString()!],
            JsonValueKind.Array => t.EnumerateArray().Select(e => e.GetString() ?? throw json.Error("target_modules", "holds a non-string")).ToArray(),
            _ => throw json.Error("target_modules", "must be a string or a list of strings"),
        } : throw json.Error("target_modules", "is required but missing");
        var config = new LoraConfig(json.RequiredInt("r"), json.Double("lora_alpha", 8), json.Double("lora_dropout", 0),
            targets, json.Bool("use_rslora", false));
        config.Validate(json.Path);
        return config;
    }

    /// <summary>adapter_config.json as PEFT writes it (inference_mode true, task CAUSAL_LM).</summary>
    public string ToJson(string baseModelNameOrPath)
    {
        var o = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(),
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["lora_alpha"] = Alpha,
            ["lora_dropout"] = Dropout,
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = R,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = new JsonArray(TargetModules.Select(m => (JsonNode?)m).ToArray()),
            ["task_type"] = "CAUSAL_LM",
            ["use_dora"] = false,
            ["use_rslora"] = UseRslora,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}

using System.Text;
using System.Text.Json;
using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Model;

/// <summary>
/// The Qwen2 architecture as config.json describes it (transformers' Qwen2Config; Qwen2.5 uses the same
/// model_type). Parsing refuses what the model does not implement rather than silently computing something else:
/// another model_type, RoPE scaling, sliding-window attention, an activation other than SiLU. Build one in code
/// with an object initializer (tiny test checkpoints) and write it with <see cref="ToJson"/>.
/// </summary>
public sealed class Qwen2Config
{
    public const string SupportedModelType = "qwen2";
    public const string SupportedActivation = "silu";

    private int? _numKeyValueHeads;
    private int? _headDim;

    /// <summary>C: the residual stream width.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>FF: the MLP width.</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>L: decoder layers.</summary>
    public required int NumHiddenLayers { get; init; }

    /// <summary>NH: query heads.</summary>
    public required int NumAttentionHeads { get; init; }

    /// <summary>NKV: key/value heads (grouped-query attention); defaults to NH.</summary>
    public int NumKeyValueHeads { get => _numKeyValueHeads ?? NumAttentionHeads; init => _numKeyValueHeads = value; }

    /// <summary>HS: the per-head width; defaults to C / NH.</summary>
    public int HeadDim { get => _headDim ?? HiddenSize / Math.Max(NumAttentionHeads, 1); init => _headDim = value; }

    /// <summary>V: the vocabulary (embedding rows).</summary>
    public required int VocabSize { get; init; }

    public double RopeTheta { get; init; } = 10000.0;
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>Whether lm_head reuses embed_tokens (no lm_head.weight in the checkpoint).</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>The dtype the weights were saved in (torch_dtype, or dtype in newer transformers), when stated.</summary>
    public DType? TorchDType { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 32768;
    public int? BosTokenId { get; init; }

    /// <summary>eos_token_id, an int or a list in config.json; empty when absent.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Reads and checks a config.json file.</summary>
    public static Qwen2Config Load(string configJsonPath) => Parse(JsonConfig.Load(configJsonPath));

    public static Qwen2Config FromCheckpoint(HfCheckpoint checkpoint) => Parse(checkpoint.Config);

    public static Qwen2Config Parse(JsonConfig json)
    {
        var modelType = json.OptionalString("model_type")
            ?? throw json.Error("model_type", $"is required but missing (supported: '{SupportedModelType}')");
        if (modelType != SupportedModelType)
            throw json.Error("model_type", $"is '{modelType}', but Gkd.Native implements only '{SupportedModelType}' (Qwen2 and Qwen2.5 models)");
        RefuseRopeScaling(json, "rope_scaling");
        RefuseRopeScaling(json, "rope_parameters");
        if (json.Bool("use_sliding_window", false))
            throw json.Error("use_sliding_window", "is true, but sliding-window attention is not implemented");
        var activation = json.OptionalString("hidden_act") ?? SupportedActivation;
        if (activation != SupportedActivation)
            throw json.Error("hidden_act", $"is '{activation}', but only '{SupportedActivation}' is implemented");

        var dtypeField = json.Has("torch_dtype") ? "torch_dtype" : "dtype";
        DType? dtype = null;
        if (json.OptionalString(dtypeField) is { } dtypeName)
            dtype = DTypeInfo.TryParseTorch(dtypeName, out var d)
                ? d
                : throw json.Error(dtypeField, $"is '{dtypeName}'; supported: float32, bfloat16, float16");

        var config = new Qwen2Config
        {
            HiddenSize = json.RequiredInt("hidden_size"),
            IntermediateSize = json.RequiredInt("intermediate_size"),
            NumHiddenLayers = json.RequiredInt("num_hidden_layers"),
            NumAttentionHeads = json.RequiredInt("num_attention_heads"),
            _numKeyValueHeads = json.OptionalInt("num_key_value_heads"),
            _headDim = json.OptionalInt("head_dim"),
            VocabSize = json.RequiredInt("vocab_size"),
            RopeTheta = json.Double("rope_theta", RopeThetaFromParameters(json)),
            RmsNormEps = json.Double("rms_norm_eps", 1e-6),
            TieWordEmbeddings = json.Bool("tie_word_embeddings", false),
            TorchDType = dtype,
            MaxPositionEmbeddings = json.OptionalInt("max_position_embeddings") ?? 32768,
            BosTokenId = json.OptionalInt("bos_token_id"),
            EosTokenIds = json.OptionalIntOrList("eos_token_id") ?? [],
        };
        config.Check(json.Error);
        return config;
    }

    /// <summary>Throws when the sizes are inconsistent (what <see cref="Parse"/> checks, for configs built in code).</summary>
    public void Validate() => Check((field, problem) => new ArgumentException($"Qwen2Config: field '{field}' {problem}"));

    /// <summary>config.json text (indented) that <see cref="Parse"/> reads back to an equal config.</summary>
    public string ToJson()
    {
        Validate();
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("architectures");
            json.WriteStringValue("Qwen2ForCausalLM");
            json.WriteEndArray();
            json.WriteString("model_type", SupportedModelType);
            json.WriteString("hidden_act", SupportedActivation);
            json.WriteNumber("hidden_size", HiddenSize);
            json.WriteNumber("intermediate_size", IntermediateSize);
            json.WriteNumber("num_hidden_layers", NumHiddenLayers);
            json.WriteNumber("num_attention_heads", NumAttentionHeads);
            json.WriteNumber("num_key_value_heads", NumKeyValueHeads);
            if (_headDim is { } headDim) json.WriteNumber("head_dim", headDim);
            json.WriteNumber("vocab_size", VocabSize);
            json.WriteNumber("max_position_embeddings", MaxPositionEmbeddings);
            json.WriteNumber("rope_theta", RopeTheta);
            json.WriteNumber("rms_norm_eps", RmsNormEps);
            json.WriteBoolean("tie_word_embeddings", TieWordEmbeddings);
            if (TorchDType is { } dtype) json.WriteString("torch_dtype", TorchName(dtype));
            if (BosTokenId is { } bos) json.WriteNumber("bos_token_id", bos);
            if (EosTokenIds.Count == 1) json.WriteNumber("eos_token_id", EosTokenIds[0]);
            else if (EosTokenIds.Count > 1)
            {
                json.WriteStartArray("eos_token_id");
                foreach (var id in EosTokenIds) json.WriteNumberValue(id);
                json.WriteEndArray();
            }
            json.WriteBoolean("use_sliding_window", false);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private void Check(Func<string, string, Exception> error)
    {
        RequirePositive(error, "hidden_size", HiddenSize);
        RequirePositive(error, "intermediate_size", IntermediateSize);
        RequirePositive(error, "num_hidden_layers", NumHiddenLayers);
        RequirePositive(error, "num_attention_heads", NumAttentionHeads);
        RequirePositive(error, "num_key_value_heads", NumKeyValueHeads);
        RequirePositive(error, "vocab_size", VocabSize);
        RequirePositive(error, "max_position_embeddings", MaxPositionEmbeddings);
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw error("num_key_value_heads", $"is {NumKeyValueHeads}, which does not divide num_attention_heads ({NumAttentionHeads})");
        if (_headDim is null && HiddenSize % NumAttentionHeads != 0)
            throw error("num_attention_heads", $"is {NumAttentionHeads}, which does not divide hidden_size ({HiddenSize}) and no head_dim is given");
        RequirePositive(error, "head_dim", HeadDim);
        if (!(RopeTheta > 0)) throw error("rope_theta", $"is {RopeTheta}; it must be positive");
        if (!(RmsNormEps > 0)) throw error("rms_norm_eps", $"is {RmsNormEps}; it must be positive");
    }

    private static void RequirePositive(Func<string, string, Exception> error, string field, int value)
    {
        if (value <= 0) throw error(field, $"is {value}; it must be positive");
    }

    /// <summary>Only the "default" rope type (plain RoPE) is accepted; newer transformers write it out explicitly.</summary>
    private static void RefuseRopeScaling(JsonConfig json, string field)
    {
        if (!json.TryGet(field, out var value)) return;
        var type = value.ValueKind == JsonValueKind.Object &&
                   (value.TryGetProperty("rope_type", out var t) || value.TryGetProperty("type", out t)) &&
                   t.ValueKind == JsonValueKind.String
            ? t.GetString()
            : null;
        if (type != "default")
            throw json.Error(field, $"is {value.GetRawText()}, but rope_scaling is not implemented (only plain RoPE, rope_type \"default\")");
    }

    /// <summary>rope_theta as newer transformers nest it (rope_parameters.rope_theta), else the Qwen2 default.</summary>
    private static double RopeThetaFromParameters(JsonConfig json) =>
        json.TryGet("rope_parameters", out var p) && p.TryGetProperty("rope_theta", out var theta) &&
        theta.ValueKind == JsonValueKind.Number
            ? theta.GetDouble()
            : 10000.0;

    private static string TorchName(DType dtype) => dtype switch
    {
        DType.F32 => "float32",
        DType.BF16 => "bfloat16",
        DType.F16 => "float16",
        _ => "int32",
    };
}

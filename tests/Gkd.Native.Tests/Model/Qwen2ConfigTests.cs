using System.Text.Json.Nodes;
using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Model;
using NUnit.Framework;

namespace Gkd.Native.Tests.Model;

public class Qwen2ConfigTests
{
    private static string RealConfig(string model)
    {
        var path = Support.TestPaths.SharedData("qwen2-configs", model, "config.json");
        if (!File.Exists(path)) Assert.Ignore($"shared data not found: {path}");
        return path;
    }

    [Test]
    public void Qwen2_0_5B_Instruct()
    {
        var c = Qwen2Config.Load(RealConfig("Qwen2-0.5B-Instruct"));
        Assert.That(new[] { c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.VocabSize, c.HeadDim },
            Is.EqualTo(new[] { 896, 4864, 24, 14, 2, 151936, 64 }));
        Assert.That(c.TieWordEmbeddings, Is.True);
        Assert.That(c.RopeTheta, Is.EqualTo(1_000_000.0));
        Assert.That(c.RmsNormEps, Is.EqualTo(1e-6));
        Assert.That(c.TorchDType, Is.EqualTo(DType.BF16));
        Assert.That(c.MaxPositionEmbeddings, Is.EqualTo(32768));
        Assert.That(c.BosTokenId, Is.EqualTo(151643));
        Assert.That(c.EosTokenIds, Is.EqualTo(new[] { 151645 }));
    }

    [Test]
    public void Qwen2_1_5B_Instruct()
    {
        var c = Qwen2Config.Load(RealConfig("Qwen2-1.5B-Instruct"));
        Assert.That(new[] { c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.VocabSize, c.HeadDim },
            Is.EqualTo(new[] { 1536, 8960, 28, 12, 2, 151936, 128 }));
        Assert.That(c.TieWordEmbeddings, Is.True);
    }

    private static JsonObject Minimal() => new()
    {
        ["model_type"] = "qwen2",
        ["hidden_size"] = 64,
        ["intermediate_size"] = 96,
        ["num_hidden_layers"] = 2,
        ["num_attention_heads"] = 4,
        ["vocab_size"] = 300,
    };

    private static (string Path, JsonConfig Json) Write(JsonObject json)
    {
        var path = Path.Combine(Support.TestPaths.TempDir("qwen2config"), "config.json");
        File.WriteAllText(path, json.ToJsonString());
        return (path, JsonConfig.Load(path));
    }

    [Test]
    public void Defaults_for_optional_fields()
    {
        var c = Qwen2Config.Parse(Write(Minimal()).Json);
        Assert.That(c.NumKeyValueHeads, Is.EqualTo(4), "defaults to num_attention_heads");
        Assert.That(c.HeadDim, Is.EqualTo(16), "defaults to hidden_size / num_attention_heads");
        Assert.That(c.RopeTheta, Is.EqualTo(10000.0));
        Assert.That(c.RmsNormEps, Is.EqualTo(1e-6));
        Assert.That(c.TieWordEmbeddings, Is.False);
        Assert.That(c.MaxPositionEmbeddings, Is.EqualTo(32768));
        Assert.That(c.TorchDType, Is.Null);
        Assert.That(c.BosTokenId, Is.Null);
        Assert.That(c.EosTokenIds, Is.Empty);
    }

    [Test]
    public void Explicit_head_dim_and_newer_transformers_spellings()
    {
        var json = Minimal();
        json["head_dim"] = 24;
        json["dtype"] = "float16";
        json["rope_parameters"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 500000.0 };
        json["rope_scaling"] = null;
        json["eos_token_id"] = new JsonArray(7, 8);
        var c = Qwen2Config.Parse(Write(json).Json);
        Assert.That(c.HeadDim, Is.EqualTo(24));
        Assert.That(c.TorchDType, Is.EqualTo(DType.F16));
        Assert.That(c.RopeTheta, Is.EqualTo(500000.0));
        Assert.That(c.EosTokenIds, Is.EqualTo(new[] { 7, 8 }));
    }

    [Test]
    public void ToJson_reads_back_to_the_same_config()
    {
        var original = new Qwen2Config
        {
            HiddenSize = 48,
            IntermediateSize = 80,
            NumHiddenLayers = 3,
            NumAttentionHeads = 6,
            NumKeyValueHeads = 2,
            HeadDim = 12,
            VocabSize = 97,
            RopeTheta = 1_000_000.0,
            RmsNormEps = 1e-5,
            TieWordEmbeddings = true,
            TorchDType = DType.BF16,
            MaxPositionEmbeddings = 512,
            BosTokenId = 1,
            EosTokenIds = [2, 3],
        };
        var path = Path.Combine(Support.TestPaths.TempDir("qwen2config"), "config.json");
        AtomicFile.WriteAllText(path, original.ToJson());
        var back = Qwen2Config.Load(path);
        Assert.That(back.ToJson(), Is.EqualTo(original.ToJson()));
        Assert.That(new object?[] { back.HiddenSize, back.IntermediateSize, back.NumHiddenLayers, back.NumAttentionHeads, back.NumKeyValueHeads,
                back.HeadDim, back.VocabSize, back.RopeTheta, back.RmsNormEps, back.TieWordEmbeddings, back.TorchDType, back.MaxPositionEmbeddings, back.BosTokenId },
            Is.EqualTo(new object?[] { 48, 80, 3, 6, 2, 12, 97, 1_000_000.0, 1e-5, true, DType.BF16, 512, 1 }));
        Assert.That(back.EosTokenIds, Is.EqualTo(new[] { 2, 3 }));
    }

    [Test]
    public void ToJson_refuses_an_inconsistent_config()
    {
        var bad = new Qwen2Config { HiddenSize = 64, IntermediateSize = 96, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 3, VocabSize = 10 };
        Assert.That(() => bad.ToJson(), Throws.ArgumentException.With.Message.Contains("field 'num_key_value_heads' is 3, which does not divide num_attention_heads (4)"));
    }

    private static void Refused(Action<JsonObject> edit, string field, string message)
    {
        var json = Minimal();
        edit(json);
        var (path, config) = Write(json);
        var e = Assert.Throws<InvalidDataException>(() => Qwen2Config.Parse(config))!;
        Assert.That(e.Message, Does.StartWith($"{path}: field '{field}'").And.Contain(message));
    }

    [Test]
    public void Refuses_another_model_type() =>
        Refused(j => j["model_type"] = "llama", "model_type", "is 'llama', but Gkd.Native implements only 'qwen2'");

    [Test]
    public void Refuses_a_missing_model_type() =>
        Refused(j => j.Remove("model_type"), "model_type", "is required but missing (supported: 'qwen2')");

    [Test]
    public void Refuses_rope_scaling() =>
        Refused(j => j["rope_scaling"] = new JsonObject { ["type"] = "linear", ["factor"] = 2.0 }, "rope_scaling", "rope_scaling is not implemented");

    [Test]
    public void Accepts_default_rope_scaling()
    {
        var json = Minimal();
        json["rope_scaling"] = new JsonObject { ["rope_type"] = "default" };
        Assert.That(Qwen2Config.Parse(Write(json).Json).RopeTheta, Is.EqualTo(10000.0));
    }

    [Test]
    public void Refuses_yarn_rope_parameters() =>
        Refused(j => j["rope_parameters"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 }, "rope_parameters", "rope_scaling is not implemented");

    [Test]
    public void Refuses_sliding_window_attention() =>
        Refused(j => j["use_sliding_window"] = true, "use_sliding_window", "sliding-window attention is not implemented");

    [Test]
    public void Refuses_another_activation() =>
        Refused(j => j["hidden_act"] = "gelu", "hidden_act", "is 'gelu', but only 'silu' is implemented");

    [Test]
    public void Refuses_heads_not_divisible_by_kv_heads() =>
        Refused(j => j["num_key_value_heads"] = 3, "num_key_value_heads", "is 3, which does not divide num_attention_heads (4)");

    [Test]
    public void Refuses_hidden_size_not_divisible_by_heads_without_head_dim() =>
        Refused(j => j["hidden_size"] = 66, "num_attention_heads", "does not divide hidden_size (66)");

    [TestCase("hidden_size")]
    [TestCase("intermediate_size")]
    [TestCase("num_hidden_layers")]
    [TestCase("num_attention_heads")]
    [TestCase("vocab_size")]
    public void Refuses_a_missing_required_field(string field) =>
        Refused(j => j.Remove(field), field, "is required but missing");

    [TestCase("hidden_size", 0)]
    [TestCase("intermediate_size", -5)]
    [TestCase("num_hidden_layers", 0)]
    [TestCase("num_attention_heads", -4)]
    [TestCase("num_key_value_heads", 0)]
    [TestCase("head_dim", 0)]
    [TestCase("vocab_size", 0)]
    [TestCase("max_position_embeddings", -1)]
    public void Refuses_a_non_positive_size(string field, int value) =>
        Refused(j => j[field] = value, field, $"is {value}; it must be positive");

    [TestCase("rope_theta")]
    [TestCase("rms_norm_eps")]
    public void Refuses_a_non_positive_float(string field) =>
        Refused(j => j[field] = 0.0, field, "it must be positive");

    [Test]
    public void Refuses_a_non_integer_size() =>
        Refused(j => j["hidden_size"] = 64.5, "hidden_size", "must be an integer, found 64.5");

    [Test]
    public void Refuses_an_unknown_torch_dtype() =>
        Refused(j => j["torch_dtype"] = "float64", "torch_dtype", "is 'float64'; supported: float32, bfloat16, float16");
}

using System.Text.Json.Nodes;
using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Generation;
using NUnit.Framework;

namespace Gkd.Native.Tests.Model;

public class GenerationConfigTests
{
    [TestCase("Qwen2-0.5B-Instruct")]
    [TestCase("Qwen2-1.5B-Instruct")]
    public void Real_qwen2_instruct_generation_configs(string model)
    {
        var dir = Support.TestPaths.SharedData("qwen2-configs", model);
        if (!Directory.Exists(dir)) Assert.Ignore($"shared data not found: {dir}");
        var g = GenerationConfig.Load(dir);
        Assert.That(g.EosTokenIds, Is.EqualTo(new[] { 151645, 151643 }));
        Assert.That((g.PadTokenId, g.BosTokenId), Is.EqualTo(((int?)151643, (int?)151643)));
        Assert.That((g.DoSample, g.Temperature, g.TopP, g.TopK, g.MaxNewTokens), Is.EqualTo((true, 0.7, 0.8, 20, (int?)null)));
    }

    private static string ModelDir(JsonObject config, JsonObject? generation)
    {
        var dir = Support.TestPaths.TempDir("genconfig");
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        if (generation is not null) File.WriteAllText(Path.Combine(dir, "generation_config.json"), generation.ToJsonString());
        return dir;
    }

    [Test]
    public void Without_generation_config_ids_come_from_config_json_and_the_rest_defaults()
    {
        var g = GenerationConfig.Load(ModelDir(new JsonObject { ["eos_token_id"] = 5, ["bos_token_id"] = 4 }, null));
        Assert.That(g.EosTokenIds, Is.EqualTo(new[] { 5 }));
        Assert.That((g.BosTokenId, g.PadTokenId), Is.EqualTo(((int?)4, (int?)null)));
        Assert.That((g.DoSample, g.Temperature, g.TopP, g.TopK, g.MaxNewTokens), Is.EqualTo((false, 1.0, 1.0, 50, (int?)null)));
    }

    [Test]
    public void Generation_config_wins_over_config_json()
    {
        var g = GenerationConfig.Load(ModelDir(
            new JsonObject { ["eos_token_id"] = 5, ["pad_token_id"] = 6 },
            new JsonObject { ["eos_token_id"] = 9, ["max_new_tokens"] = 128, ["top_k"] = 0 }));
        Assert.That(g.EosTokenIds, Is.EqualTo(new[] { 9 }));
        Assert.That(g.PadTokenId, Is.EqualTo(6), "falls back to config.json");
        Assert.That((g.MaxNewTokens, g.TopK), Is.EqualTo(((int?)128, 0)));
    }

    [Test]
    public void From_a_checkpoint()
    {
        var dir = ModelDir(new JsonObject(), new JsonObject { ["eos_token_id"] = new JsonArray(1, 2), ["temperature"] = 0.9 });
        new SafetensorsWriter().Add("w", DType.F32, new Shape(1), new byte[4]).Save(Path.Combine(dir, "model.safetensors"));
        using var checkpoint = HfCheckpoint.Open(dir);
        var g = GenerationConfig.FromCheckpoint(checkpoint);
        Assert.That((g.EosTokenIds, g.Temperature), Is.EqualTo((new[] { 1, 2 }, 0.9)));
    }

    [TestCase("temperature", 0.0, "it must be positive when do_sample is true")]
    [TestCase("top_p", 1.5, "it must be in (0, 1] when do_sample is true")]
    [TestCase("top_k", -1.0, "it must be 0 (off) or positive when do_sample is true")]
    [TestCase("max_new_tokens", 0.0, "it must be positive")]
    public void Refuses_out_of_range_values(string field, double value, string message)
    {
        JsonNode node = field is "top_k" or "max_new_tokens" ? JsonValue.Create((int)value) : JsonValue.Create(value);
        var dir = ModelDir(new JsonObject(), new JsonObject { ["do_sample"] = true, [field] = node });
        var e = Assert.Throws<InvalidDataException>(() => GenerationConfig.Load(dir))!;
        Assert.That(e.Message, Does.StartWith($"{Path.Combine(dir, "generation_config.json")}: field '{field}'").And.Contain(message));
    }

    [Test]
    public void Greedy_configs_may_carry_unused_sampling_values()
    {
        var g = GenerationConfig.Load(ModelDir(new JsonObject(), new JsonObject { ["do_sample"] = false, ["temperature"] = 0.0 }));
        Assert.That((g.DoSample, g.Temperature), Is.EqualTo((false, 0.0)));
    }

    [Test]
    public void Refuses_a_malformed_eos()
    {
        var dir = ModelDir(new JsonObject(), new JsonObject { ["eos_token_id"] = new JsonArray(1, "two") });
        var e = Assert.Throws<InvalidDataException>(() => GenerationConfig.Load(dir))!;
        Assert.That(e.Message, Does.Contain("field 'eos_token_id' must be an integer, found \"two\""));
    }

    [Test]
    public void A_directory_with_neither_file_is_named()
    {
        var dir = Support.TestPaths.TempDir("genconfig");
        var e = Assert.Throws<FileNotFoundException>(() => GenerationConfig.Load(dir))!;
        Assert.That(e.Message, Does.Contain(dir).And.Contain("neither generation_config.json nor config.json"));
    }
}

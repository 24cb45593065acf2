using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using NUnit.Framework;

namespace Gkd.Native.Tests.IO;

public class HfCheckpointTests
{
    [Test]
    public void Opens_config_generation_config_and_weights()
    {
        var dir = Support.TestPaths.TempDir("hfckpt");
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"model_type": "qwen2", "hidden_size": 8}""");
        File.WriteAllText(Path.Combine(dir, "generation_config.json"), """{"eos_token_id": [2, 3]}""");
        new SafetensorsWriter().Add("model.norm.weight", DType.BF16, new Shape(8), new byte[16])
            .Save(Path.Combine(dir, "model.safetensors"));

        using var checkpoint = HfCheckpoint.Open(dir);
        Assert.That(checkpoint.Directory, Is.EqualTo(dir));
        Assert.That(checkpoint.Config.Root.GetProperty("hidden_size").GetInt32(), Is.EqualTo(8));
        Assert.That(checkpoint.Config.Path, Is.EqualTo(Path.Combine(dir, "config.json")));
        Assert.That(checkpoint.GenerationConfig!.OptionalIntOrList("eos_token_id"), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(checkpoint.Keys, Is.EqualTo(new[] { "model.norm.weight" }));
        Assert.That(checkpoint.Contains("model.norm.weight"), Is.True);
        using var tensor = checkpoint.Load(new CpuBackend(2), "model.norm.weight");
        Assert.That((tensor.Shape, tensor.DType), Is.EqualTo((new Shape(8), DType.BF16)));
    }

    [Test]
    public void Generation_config_is_optional()
    {
        var dir = Support.TestPaths.TempDir("hfckpt");
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        new SafetensorsWriter().Save(Path.Combine(dir, "model.safetensors"));
        using var checkpoint = HfCheckpoint.Open(dir);
        Assert.That(checkpoint.GenerationConfig, Is.Null);
        Assert.That(checkpoint.Keys, Is.Empty);
    }

    [Test]
    public void Missing_config_is_named()
    {
        var dir = Support.TestPaths.TempDir("hfckpt");
        var e = Assert.Throws<FileNotFoundException>(() => HfCheckpoint.Open(dir))!;
        Assert.That(e.Message, Does.Contain(dir).And.Contain("has no config.json"));
    }

    [Test]
    public void Missing_weights_are_named()
    {
        var dir = Support.TestPaths.TempDir("hfckpt");
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        var e = Assert.Throws<FileNotFoundException>(() => HfCheckpoint.Open(dir))!;
        Assert.That(e.Message, Does.Contain(dir).And.Contain("expected model.safetensors or a sharded model.safetensors.index.json"));
    }

    [Test]
    public void Config_that_is_not_an_object_is_named()
    {
        var dir = Support.TestPaths.TempDir("hfckpt");
        File.WriteAllText(Path.Combine(dir, "config.json"), "[]");
        var e = Assert.Throws<InvalidDataException>(() => HfCheckpoint.Open(dir))!;
        Assert.That(e.Message, Does.StartWith(Path.Combine(dir, "config.json")).And.Contain("expected a JSON object"));
    }

    [Test]
    public void Missing_directory_is_named()
    {
        var dir = Path.Combine(Support.TestPaths.TempDir("hfckpt"), "nope");
        var e = Assert.Throws<DirectoryNotFoundException>(() => HfCheckpoint.Open(dir))!;
        Assert.That(e.Message, Does.Contain(dir));
    }
}

using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using NUnit.Framework;

namespace Gkd.Native.Tests.IO;

public class CheckpointWeightsTests
{
    private readonly CpuBackend _backend = new(2);

    private static void WriteShard(string dir, string file, params string[] keys)
    {
        var writer = new SafetensorsWriter();
        foreach (var key in keys) writer.Add(key, DType.I32, new Shape(1), BitConverter.GetBytes(key.Length));
        writer.Save(Path.Combine(dir, file));
    }

    private static void WriteIndex(string dir, string weightMapJson) =>
        AtomicFile.WriteAllText(Path.Combine(dir, CheckpointWeights.IndexFileName),
            $$"""{"metadata": {"total_size": 12}, "weight_map": {{weightMapJson}}}""");

    private int LoadValue(CheckpointWeights weights, string key)
    {
        using var tensor = weights.Load(_backend, key);
        var bytes = new byte[4];
        _backend.CopyToHost(bytes, tensor);
        return BitConverter.ToInt32(bytes);
    }

    [Test]
    public void Single_file_weights()
    {
        var dir = Support.TestPaths.TempDir("weights");
        WriteShard(dir, CheckpointWeights.SingleFileName, "b.weight", "a");
        using var weights = CheckpointWeights.OpenDirectory(dir);
        Assert.That(weights.Keys, Is.EqualTo(new[] { "a", "b.weight" }));
        Assert.That(weights.Files, Has.Count.EqualTo(1));
        Assert.That(LoadValue(weights, "b.weight"), Is.EqualTo(8));
        Assert.That(weights.Entry("a").DType, Is.EqualTo(DType.I32));
    }

    [Test]
    public void Sharded_weights_read_as_one_set()
    {
        var dir = Support.TestPaths.TempDir("weights");
        WriteShard(dir, "model-00001-of-00002.safetensors", "embed", "layer.0");
        WriteShard(dir, "model-00002-of-00002.safetensors", "layer.1", "head.weight");
        WriteIndex(dir, """
            {"embed": "model-00001-of-00002.safetensors", "layer.0": "model-00001-of-00002.safetensors",
             "layer.1": "model-00002-of-00002.safetensors", "head.weight": "model-00002-of-00002.safetensors"}
            """);

        using var weights = CheckpointWeights.OpenDirectory(dir);
        Assert.That(weights.Source, Is.EqualTo(Path.Combine(dir, CheckpointWeights.IndexFileName)));
        Assert.That(weights.Files, Has.Count.EqualTo(2));
        Assert.That(weights.Keys, Is.EqualTo(new[] { "embed", "head.weight", "layer.0", "layer.1" }));
        Assert.That(weights.Keys.Select(k => LoadValue(weights, k)), Is.EqualTo(new[] { 5, 11, 7, 7 }));
        Assert.That(weights.Contains("layer.1"), Is.True);
        Assert.That(weights.Contains("layer.2"), Is.False);

        var e = Assert.Throws<KeyNotFoundException>(() => weights.Load(_backend, "layer.2"))!;
        Assert.That(e.Message, Does.Contain(CheckpointWeights.IndexFileName).And.Contain("no tensor 'layer.2'").And.Contain("'layer.0'"));
    }

    [Test]
    public void Missing_shard_is_named()
    {
        var dir = Support.TestPaths.TempDir("weights");
        WriteShard(dir, "model-00001-of-00002.safetensors", "a");
        WriteIndex(dir, """{"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}""");
        var e = Assert.Throws<FileNotFoundException>(() => CheckpointWeights.OpenDirectory(dir))!;
        Assert.That(e.Message, Does.Contain(Path.Combine(dir, CheckpointWeights.IndexFileName))
            .And.Contain("lists shards that do not exist").And.Contain("model-00002-of-00002.safetensors"));
    }

    [Test]
    public void Index_key_absent_from_its_shard_is_named()
    {
        var dir = Support.TestPaths.TempDir("weights");
        WriteShard(dir, "s1.safetensors", "a");
        WriteIndex(dir, """{"a": "s1.safetensors", "ghost": "s1.safetensors"}""");
        var e = Assert.Throws<InvalidDataException>(() => CheckpointWeights.OpenDirectory(dir))!;
        Assert.That(e.Message, Does.Contain("weight_map puts 'ghost' in s1.safetensors"));
    }

    [TestCase("""{"weights": {}}""", "missing object field 'weight_map'")]
    [TestCase("""{"weight_map": {"a": 3}}""", "weight_map['a'] must be a shard file name")]
    [TestCase("""{"weight_map": {"a": "../elsewhere.safetensors"}}""", "is not a file name inside the checkpoint directory")]
    [TestCase("""{"weight_map": {"a": "s.safetensors", "a": "s.safetensors"}}""", "weight_map lists 'a' twice")]
    [TestCase("""{"weight_map": """, "not valid JSON")]
    public void Malformed_index(string json, string message)
    {
        var dir = Support.TestPaths.TempDir("weights");
        WriteShard(dir, "s.safetensors", "a");
        File.WriteAllText(Path.Combine(dir, CheckpointWeights.IndexFileName), json);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointWeights.OpenDirectory(dir))!;
        Assert.That(e.Message, Does.StartWith(Path.Combine(dir, CheckpointWeights.IndexFileName)).And.Contain(message));
    }

    [Test]
    public void Directory_without_weights_says_what_it_expected()
    {
        var dir = Support.TestPaths.TempDir("weights");
        var e = Assert.Throws<FileNotFoundException>(() => CheckpointWeights.OpenDirectory(dir))!;
        Assert.That(e.Message, Does.Contain(dir).And.Contain("model.safetensors").And.Contain("model.safetensors.index.json"));
    }
}

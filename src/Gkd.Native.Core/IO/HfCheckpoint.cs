using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.IO;

/// <summary>
/// A Hugging Face model directory: config.json, an optional generation_config.json, and the weights
/// (model.safetensors or a sharded model.safetensors.index.json). The typed configs in Training read
/// <see cref="Config"/> and <see cref="GenerationConfig"/>.
/// </summary>
public sealed class HfCheckpoint : IDisposable
{
    public const string ConfigFileName = "config.json";
    public const string GenerationConfigFileName = "generation_config.json";

    private HfCheckpoint(string directory, JsonConfig config, JsonConfig? generationConfig, CheckpointWeights weights)
    {
        Directory = directory;
        Config = config;
        GenerationConfig = generationConfig;
        Weights = weights;
    }

    /// <summary>The full path of the model directory.</summary>
    public string Directory { get; }

    /// <summary>config.json.</summary>
    public JsonConfig Config { get; }

    /// <summary>generation_config.json, when the directory has one.</summary>
    public JsonConfig? GenerationConfig { get; }

    public CheckpointWeights Weights { get; }

    /// <summary>Tensor names in ordinal order.</summary>
    public IReadOnlyList<string> Keys => Weights.Keys;

    public static HfCheckpoint Open(string directory)
    {
        var dir = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(dir)) throw new DirectoryNotFoundException($"model directory not found: {dir}");
        var configPath = Path.Combine(dir, ConfigFileName);
        if (!File.Exists(configPath))
            throw new FileNotFoundException($"{dir} is not a Hugging Face model directory: it has no {ConfigFileName}", configPath);
        var config = JsonConfig.Load(configPath);
        var generationPath = Path.Combine(dir, GenerationConfigFileName);
        var generation = File.Exists(generationPath) ? JsonConfig.Load(generationPath) : null;
        return new HfCheckpoint(dir, config, generation, CheckpointWeights.OpenDirectory(dir));
    }

    public bool Contains(string key) => Weights.Contains(key);

    /// <summary>A new tensor on <paramref name="backend"/> in its stored dtype; a missing key names the files and nearby keys.</summary>
    public Tensor Load(IBackend backend, string key) => Weights.Load(backend, key);

    public void Dispose() => Weights.Dispose();

    public override string ToString() => $"{Directory} ({Keys.Count} tensors)";
}

using System.Text.Json;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.IO;

/// <summary>
/// The weights of a Hugging Face checkpoint, one safetensors file or several shards listed by a
/// model.safetensors.index.json ({"weight_map": {key: shard file}}), presented as one set of named tensors. All
/// files are opened and validated up front; the index's weight_map is the authority on which key lives where.
/// </summary>
public sealed class CheckpointWeights : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly SafetensorsFile[] _files;
    private readonly Dictionary<string, SafetensorsFile> _owner;

    private CheckpointWeights(string source, SafetensorsFile[] files, Dictionary<string, SafetensorsFile> owner)
    {
        Source = source;
        _files = files;
        _owner = owner;
        Keys = owner.Keys.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The single file or the index file these weights were opened from.</summary>
    public string Source { get; }

    /// <summary>The safetensors files, in index order of first appearance.</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>All tensor names in ordinal order.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Opens the weights of a model directory: model.safetensors, else model.safetensors.index.json.</summary>
    public static CheckpointWeights OpenDirectory(string directory)
    {
        var single = Path.Combine(directory, SingleFileName);
        if (File.Exists(single)) return OpenFile(single);
        var index = Path.Combine(directory, IndexFileName);
        if (File.Exists(index)) return OpenIndex(index);
        throw new FileNotFoundException(
            $"{Path.GetFullPath(directory)} holds no weights: expected {SingleFileName} or a sharded {IndexFileName}");
    }

    public static CheckpointWeights OpenFile(string path)
    {
        var file = SafetensorsFile.Open(path);
        return new CheckpointWeights(file.Path, [file], file.Keys.ToDictionary(k => k, _ => file, StringComparer.Ordinal));
    }

    public static CheckpointWeights OpenIndex(string indexPath)
    {
        var index = Path.GetFullPath(indexPath);
        var weightMap = ReadWeightMap(index);
        var directory = Path.GetDirectoryName(index)!;

        var shardNames = weightMap.Values.Distinct(StringComparer.Ordinal).ToArray();
        var missing = shardNames.Where(s => !File.Exists(Path.Combine(directory, s))).ToArray();
        if (missing.Length > 0)
            throw new FileNotFoundException(
                $"{index} lists shards that do not exist in {directory}: {string.Join(", ", missing)}");

        var files = new List<SafetensorsFile>(shardNames.Length);
        try
        {
            var byShard = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var shard in shardNames)
            {
                var file = SafetensorsFile.Open(Path.Combine(directory, shard));
                files.Add(file);
                byShard[shard] = file;
            }
            var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var (key, shard) in weightMap)
            {
                var file = byShard[shard];
                if (!file.Contains(key))
                    throw new InvalidDataException($"{index}: weight_map puts '{key}' in {shard}, but {file.Path} has no such tensor");
                owner[key] = file;
            }
            return new CheckpointWeights(index, [.. files], owner);
        }
        catch
        {
            foreach (var file in files) file.Dispose();
            throw;
        }
    }

    private static Dictionary<string, string> ReadWeightMap(string index)
    {
        var root = JsonConfig.Load(index).Root;
        if (!root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{index}: missing object field 'weight_map' (tensor name → shard file)");
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in map.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{index}: weight_map['{item.Name}'] must be a shard file name, found a JSON {item.Value.ValueKind}");
            var shard = item.Value.GetString()!;
            if (shard.Length == 0 || Path.IsPathRooted(shard) || shard.Split('/', '\\').Contains(".."))
                throw new InvalidDataException($"{index}: weight_map['{item.Name}'] = '{shard}' is not a file name inside the checkpoint directory");
            if (!weightMap.TryAdd(item.Name, shard))
                throw new InvalidDataException($"{index}: weight_map lists '{item.Name}' twice");
        }
        return weightMap;
    }

    public bool Contains(string key) => _owner.ContainsKey(key);

    /// <summary>The header entry of a tensor; a missing key names the source and nearby keys.</summary>
    public SafetensorsEntry Entry(string key) => FileOf(key).Entry(key);

    /// <summary>A new tensor on <paramref name="backend"/> in its stored dtype.</summary>
    public Tensor Load(IBackend backend, string key) => FileOf(key).Load(backend, key);

    private SafetensorsFile FileOf(string key) =>
        _owner.TryGetValue(key, out var file)
            ? file
            : throw new KeyNotFoundException($"{Source}: no tensor '{key}'; {KeySuggestions.Describe(Keys, key)}");

    public void Dispose()
    {
        foreach (var file in _files) file.Dispose();
    }
}

namespace Gkd.Native.Training.Data;

/// <summary>
/// Which files hold which split of a local dataset, laid out like a Hub dataset repository. A directory holds
/// <c>{split}.jsonl|json|parquet</c> at its root and/or shards <c>data/{split}-*.jsonl|json|parquet</c> (also
/// <c>data/{split}.ext</c>); a shard's split is its name up to the first '-'. A single file is the train split.
/// A split's files are the root files first, then the data/ shards, each group in ordinal name order.
/// </summary>
public static class DatasetLayout
{
    public static IReadOnlyList<string> Extensions { get; } = [".jsonl", ".json", ".parquet"];

    /// <summary>The split names <paramref name="path"/> provides, sorted.</summary>
    public static IReadOnlyList<string> Splits(string path) =>
        File.Exists(path) ? ["train"] : [.. DataFiles(path).Select(f => f.Split).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>The files of <paramref name="split"/>, in reading order; throws naming the splits found when it has none.</summary>
    public static IReadOnlyList<string> SplitFiles(string path, string split)
    {
        if (File.Exists(path))
        {
            if (!IsDataFile(path))
                throw new DatasetException($"{path}: unsupported dataset file; expected {string.Join(", ", Extensions)}");
            return split == "train"
                ? [path]
                : throw new DatasetException($"split \"{split}\" not found: the single file {path} is the train split only");
        }

        var all = DataFiles(path);
        if (all.Count == 0)
            throw new DatasetException(
                $"{path}: no dataset files; expected {{split}}.jsonl|json|parquet or data/{{split}}-*.jsonl|json|parquet");
        var files = all.Where(f => f.Split == split).Select(f => f.File).ToArray();
        if (files.Length == 0)
            throw new DatasetException(
                $"split \"{split}\" not found in {path}; splits found: {string.Join(", ", Splits(path))}");
        return files;
    }

    private static List<(string Split, string File)> DataFiles(string directory)
    {
        if (!Directory.Exists(directory)) throw new DatasetException($"dataset path not found: {directory}");
        var files = Sorted(directory).Select(f => (Path.GetFileNameWithoutExtension(f), f)).ToList();
        var data = Path.Combine(directory, "data");
        if (Directory.Exists(data))
            files.AddRange(Sorted(data).Select(f => (Path.GetFileNameWithoutExtension(f).Split('-')[0], f)));
        return files;
    }

    private static IEnumerable<string> Sorted(string directory) =>
        Directory.EnumerateFiles(directory).Where(IsDataFile).Order(StringComparer.Ordinal);

    private static bool IsDataFile(string file) =>
        Extensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase);
}

namespace Gkd.Native.Training.Data;

/// <summary>
/// Loads one split of a local dataset (<c>--dataset_name</c> already resolved to a path): the files
/// <see cref="DatasetLayout"/> assigns to the split, each read by its extension, rows normalised to
/// <see cref="ChatExample"/>.
/// </summary>
public static class DatasetLoader
{
    public static async Task<ChatDataset> LoadAsync(string path, string split = "train", CancellationToken cancellationToken = default)
    {
        var files = DatasetLayout.SplitFiles(path, split);
        var examples = new List<ChatExample>();
        foreach (var file in files)
            examples.AddRange(Path.GetExtension(file).Equals(".parquet", StringComparison.OrdinalIgnoreCase)
                ? await ParquetRowReader.ReadAsync(file, cancellationToken)
                : JsonRowReader.Read(file));
        if (examples.Count == 0)
            throw new DatasetException($"dataset {path} split \"{split}\" is empty (files: {string.Join(", ", files)})");
        return new ChatDataset(path, split, files, examples);
    }
}

using System.Text.Json;
using Parquet;
using Parquet.Serialization;

namespace Gkd.Native.Tests.Data;

/// <summary>Writes rows into the three containers: JSON lines, a JSON array, parquet (nested columns by Parquet.Net).</summary>
internal static class DatasetFiles
{
    public static Message M(string role, string content) => new() { Role = role, Content = content };

    public static ShareGptTurn S(string from, string value) => new() { From = from, Value = value };

    public static string WriteJsonLines<T>(string path, IEnumerable<T> rows) =>
        WriteText(path, string.Concat(rows.Select(r => JsonSerializer.Serialize(r) + "\n")));

    public static string WriteJsonArray<T>(string path, IEnumerable<T> rows) =>
        WriteText(path, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));

    public static string WriteParquet<T>(string path, IEnumerable<T> rows, int? rowGroupSize = null) where T : new()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new ParquetOptions();
        if (rowGroupSize is int size) options.RowGroupSize = size;
        ParquetSerializer.SerializeAsync(rows, path, options).GetAwaiter().GetResult();
        return path;
    }

    public static string WriteText(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }
}

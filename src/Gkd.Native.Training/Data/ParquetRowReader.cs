using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Serialization;

namespace Gkd.Native.Training.Data;

/// <summary>
/// Reads a parquet file row group by row group through Parquet.Net's untyped serializer: nested
/// <c>list&lt;struct&lt;role, content&gt;&gt;</c> columns arrive as lists of dictionaries, which are turned into JSON
/// nodes so every container shares <see cref="ChatRowParser"/>. Row numbers count across row groups from 0.
/// </summary>
internal static class ParquetRowReader
{
    public static async Task<List<ChatExample>> ReadAsync(string file, CancellationToken cancellationToken)
    {
        int rowGroups;
        try
        {
            await using var reader = await ParquetReader.CreateAsync(file, cancellationToken: cancellationToken);
            rowGroups = reader.RowGroupCount;
        }
        catch (IOException e)
        {
            throw new DatasetException($"{file}: not a readable parquet file: {e.Message}", e);
        }

        var examples = new List<ChatExample>();
        for (var g = 0; g < rowGroups; g++)
        {
            await using var stream = File.OpenRead(file);
            var group = await ParquetSerializer.DeserializeUntypedAsync(stream, rowGroupIndex: g, cancellationToken: cancellationToken);
            foreach (var row in group.Data)
            {
                var origin = new RowOrigin(file, RowLocator.Row, examples.Count);
                examples.Add(ChatRowParser.Parse(ToObject(row), origin));
            }
        }
        return examples;
    }

    private static JsonObject ToObject(IDictionary row)
    {
        var obj = new JsonObject();
        foreach (DictionaryEntry entry in row)
            obj[Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!] = ToNode(entry.Value);
        return obj;
    }

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        float f => JsonValue.Create(f),
        double d => JsonValue.Create(d),
        IDictionary dictionary => ToObject(dictionary),
        IEnumerable items and not byte[] => new JsonArray([.. items.Cast<object?>().Select(ToNode)]),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };
}

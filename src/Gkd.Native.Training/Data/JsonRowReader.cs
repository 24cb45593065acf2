using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gkd.Native.Training.Data;

/// <summary>
/// Reads a .jsonl file (one JSON object per line; blank lines skipped) or a .json file (a top-level array of objects,
/// or JSON lines when the text does not start with '[').
/// </summary>
internal static class JsonRowReader
{
    public static List<ChatExample> Read(string file)
    {
        var text = File.ReadAllText(file);
        var isArray = Path.GetExtension(file).Equals(".json", StringComparison.OrdinalIgnoreCase)
            && text.AsSpan().TrimStart().StartsWith("[");
        return isArray ? ReadArray(file, text) : ReadLines(file, text);
    }

    private static List<ChatExample> ReadArray(string file, string text)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new DatasetException($"{file}: malformed JSON array at line {e.LineNumber + 1}: {e.Message}", e);
        }

        var rows = (JsonArray)root!;
        var examples = new List<ChatExample>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
            examples.Add(ParseRow(rows[i], new RowOrigin(file, RowLocator.Row, i)));
        return examples;
    }

    private static List<ChatExample> ReadLines(string file, string text)
    {
        var examples = new List<ChatExample>();
        using var reader = new StringReader(text);
        var number = 0;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var origin = new RowOrigin(file, RowLocator.Line, number);
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException e)
            {
                throw new DatasetException($"{origin}: malformed JSON line (expected one JSON object per line): {e.Message}", e);
            }
            examples.Add(ParseRow(node, origin));
        }
        return examples;
    }

    private static ChatExample ParseRow(JsonNode? node, RowOrigin origin) => node is JsonObject row
        ? ChatRowParser.Parse(row, origin)
        : throw new DatasetException($"{origin}: expected a JSON object, found {ChatRowParser.Kind(node)}");
}

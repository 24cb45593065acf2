using System.Text.Json;

namespace Gkd.Native.Core.IO;

/// <summary>
/// A JSON configuration object (config.json, generation_config.json, an index) with typed field readers whose
/// errors name the file and the field. A field that is absent or JSON null counts as absent.
/// </summary>
public sealed class JsonConfig
{
    public JsonConfig(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: expected a JSON object, found a JSON {root.ValueKind}");
        Root = root;
        Path = path;
    }

    /// <summary>The parsed object (a standalone clone: no document to dispose).</summary>
    public JsonElement Root { get; }

    /// <summary>The file it came from, for messages.</summary>
    public string Path { get; }

    public static JsonConfig Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"{full} not found", full);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(full));
            return new JsonConfig(doc.RootElement.Clone(), full);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{full}: not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The field's value when present and not null.</summary>
    public bool TryGet(string field, out JsonElement value) =>
        Root.TryGetProperty(field, out value) && value.ValueKind != JsonValueKind.Null;

    public bool Has(string field) => TryGet(field, out _);

    /// <summary>An exception for a bad field: "{path}: field '{field}' {problem}".</summary>
    public InvalidDataException Error(string field, string problem) => new($"{Path}: field '{field}' {problem}");

    public int RequiredInt(string field) =>
        OptionalInt(field) ?? throw Error(field, "is required but missing");

    public int? OptionalInt(string field) => TryGet(field, out var v) ? AsInt(field, v) : null;

    public double Double(string field, double fallback)
    {
        if (!TryGet(field, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d))
            throw Error(field, $"must be a number, found {v.GetRawText()}");
        return d;
    }

    public bool Bool(string field, bool fallback)
    {
        if (!TryGet(field, out var v)) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(field, $"must be true or false, found {v.GetRawText()}"),
        };
    }

    public string? OptionalString(string field)
    {
        if (!TryGet(field, out var v)) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Error(field, $"must be a string, found {v.GetRawText()}");
    }

    /// <summary>An int or a list of ints (how eos_token_id is written); null when absent.</summary>
    public int[]? OptionalIntOrList(string field)
    {
        if (!TryGet(field, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Array) return [AsInt(field, v)];
        return v.EnumerateArray().Select(item => AsInt(field, item)).ToArray();
    }

    private int AsInt(string field, JsonElement v) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)
            ? i
            : throw Error(field, $"must be an integer, found {v.GetRawText()}");
}

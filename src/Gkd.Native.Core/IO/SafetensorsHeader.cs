using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.IO;

/// <summary>
/// The parsed, validated header of a safetensors file: an 8-byte little-endian length N, N bytes of UTF-8 JSON
/// (an object of tensor entries plus an optional "__metadata__" string map), then the data section. Every rule the
/// reference implementation enforces is checked here, each failing with an <see cref="InvalidDataException"/> that
/// names the file and the offending tensor or field.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>The reference implementation's limit on N.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    private readonly Dictionary<string, SafetensorsEntry> _byName;

    private SafetensorsHeader(string path, long headerLength, long dataLength, Dictionary<string, string> metadata,
        List<SafetensorsEntry> entries)
    {
        Path = path;
        HeaderLength = headerLength;
        DataLength = dataLength;
        Metadata = metadata;
        Entries = entries;
        _byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    public string Path { get; }

    /// <summary>N: the JSON header's length in bytes, padding included.</summary>
    public long HeaderLength { get; }

    /// <summary>Where the data section starts in the file: 8 + N.</summary>
    public long DataOffset => 8 + HeaderLength;

    /// <summary>Bytes in the data section: file length − 8 − N.</summary>
    public long DataLength { get; }

    /// <summary>The "__metadata__" map (empty when absent or null).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in data-section order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    public bool TryGetEntry(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out SafetensorsEntry entry) =>
        _byName.TryGetValue(name, out entry);

    /// <summary>Reads and validates the header of a mapped file.</summary>
    public static SafetensorsHeader Read(MappedFile file)
    {
        var path = file.Path;
        if (file.Length < 8)
            throw Invalid(path, $"file is {file.Length} bytes, shorter than the 8-byte header length (truncated, or not a safetensors file)");
        var n = BinaryPrimitives.ReadUInt64LittleEndian(file.Slice(0, 8));
        if (n > MaxHeaderBytes)
            throw Invalid(path, $"header length {n} exceeds the {MaxHeaderBytes:N0}-byte limit (not a safetensors file?)");
        if (8 + (long)n > file.Length)
            throw Invalid(path, $"header length {n} runs past the end of the file ({file.Length} bytes, so at most {file.Length - 8} header bytes): truncated");

        var json = DecodeUtf8(path, file.Slice(8, (int)n));
        if (!json.StartsWith('{'))
            throw Invalid(path, $"header does not start with '{{' (it starts with {Describe(json)}): not a JSON object");
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(json);
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw Invalid(path, $"header is not valid JSON: {e.Message}");
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw Invalid(path, $"header is a JSON {root.ValueKind}, expected an object");

        var dataLength = file.Length - 8 - (long)n;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var parsed = new List<Parsed>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name))
                throw Invalid(path, property.Name == MetadataKey
                    ? $"'{MetadataKey}' appears twice in the header"
                    : $"tensor '{property.Name}' appears twice in the header");
            if (property.Name == MetadataKey) ReadMetadata(path, property.Value, metadata);
            else parsed.Add(ReadEntry(path, property.Name, property.Value));
        }

        var entries = Validate(path, parsed, dataLength);
        return new SafetensorsHeader(path, (long)n, dataLength, metadata, entries);
    }

    private static string DecodeUtf8(string path, ReadOnlySpan<byte> bytes)
    {
        var chars = ArrayPool<char>.Shared.Rent(Math.Max(bytes.Length, 1));
        try
        {
            var status = Utf8.ToUtf16(bytes, chars, out var read, out var written, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
                throw Invalid(path, $"header is not valid UTF-8 (bad byte at file offset {8 + read})");
            return new string(chars, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private static string Describe(string json) =>
        json.Length == 0 ? "nothing: the header is empty" : $"'{json[0]}' (U+{(int)json[0]:X4})";

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(path, $"'{MetadataKey}' must be an object of string values, found a JSON {value.ValueKind}");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Invalid(path, $"'{MetadataKey}' must be an object of string values, but '{item.Name}' is a JSON {item.Value.ValueKind}");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Invalid(path, $"'{MetadataKey}' has the key '{item.Name}' twice");
        }
    }

    /// <summary>A tensor entry as written, before the layout checks.</summary>
    private sealed record Parsed(string Name, string DType, ulong[] Dims, ulong Begin, ulong End, ulong Bytes);

    private static Parsed ReadEntry(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(path, $"tensor '{name}': entry is a JSON {value.ValueKind}, expected an object with dtype, shape and data_offsets");

        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Invalid(path, $"tensor '{name}': missing string field 'dtype'");
        var dtype = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryGetBits(dtype, out var bits))
            throw Invalid(path, $"tensor '{name}': unknown dtype '{dtype}' (safetensors dtypes: {SafetensorsDTypes.KnownNames})");

        var dims = ReadUInts(path, name, value, "shape", length: null);
        var offsets = ReadUInts(path, name, value, "data_offsets", length: 2);

        ulong elements = 1, bytes;
        try
        {
            foreach (var d in dims) elements = checked(elements * d);
            bytes = checked(elements * (ulong)bits);
        }
        catch (OverflowException)
        {
            throw Invalid(path, $"tensor '{name}': shape [{string.Join(", ", dims)}] of {dtype} overflows when counting its bytes");
        }
        if (bytes % 8 != 0)
            throw Invalid(path, $"tensor '{name}': {elements} elements of {dtype} ({bits} bits each) do not fill whole bytes");
        foreach (var d in dims)
            if (d > int.MaxValue)
                throw Invalid(path, $"tensor '{name}': dimension {d} of shape [{string.Join(", ", dims)}] exceeds {int.MaxValue}, the largest Gkd.Native supports");
        return new Parsed(name, dtype, dims, offsets[0], offsets[1], bytes / 8);
    }

    private static ulong[] ReadUInts(string path, string name, JsonElement entry, string field, int? length)
    {
        var what = length is { } l ? $"an array of {l} non-negative integers" : "an array of non-negative integers";
        if (!entry.TryGetProperty(field, out var array))
            throw Invalid(path, $"tensor '{name}': missing field '{field}' ({what})");
        if (array.ValueKind != JsonValueKind.Array || (length is { } n && array.GetArrayLength() != n))
            throw Invalid(path, $"tensor '{name}': '{field}' must be {what}, found {array.GetRawText()}");
        var values = new ulong[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetUInt64(out values[i++]))
                throw Invalid(path, $"tensor '{name}': '{field}' must be {what}, found {array.GetRawText()}");
        }
        return values;
    }

    /// <summary>
    /// Sorted by offsets, the tensors must tile the data section exactly: each begins where the previous ended
    /// (the first at 0), spans exactly shape × dtype-size bytes, and the last ends at the end of the file.
    /// </summary>
    private static List<SafetensorsEntry> Validate(string path, List<Parsed> parsed, long dataLength)
    {
        parsed.Sort((a, b) =>
        {
            var c = a.Begin.CompareTo(b.Begin);
            if (c == 0) c = a.End.CompareTo(b.End);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });

        var entries = new List<SafetensorsEntry>(parsed.Count);
        ulong expected = 0;
        string? previous = null;
        foreach (var t in parsed)
        {
            var offsets = $"data_offsets [{t.Begin}, {t.End}]";
            if (t.Begin > t.End)
                throw Invalid(path, $"tensor '{t.Name}': {offsets} begin after they end");
            var after = previous is null ? "the data section starts at 0" : $"the previous tensor '{previous}' ends at {expected}";
            if (t.Begin > expected)
                throw Invalid(path, $"tensor '{t.Name}': {offsets} leave a gap: {after}");
            if (t.Begin < expected)
                throw Invalid(path, $"tensor '{t.Name}': {offsets} overlap: {after}");
            if (t.End - t.Begin != t.Bytes)
                throw Invalid(path, $"tensor '{t.Name}': shape [{string.Join(", ", t.Dims)}] of {t.DType} is {t.Bytes} bytes, but {offsets} span {t.End - t.Begin}");
            if (t.End > (ulong)dataLength)
                throw Invalid(path, $"tensor '{t.Name}': {offsets} run past the end of the data section ({dataLength} bytes after the header): truncated");
            expected = t.End;
            previous = t.Name;
            var dims = t.Dims.Select(d => (int)d).ToArray();
            entries.Add(new SafetensorsEntry(path, t.Name, t.DType, new Shape(dims), (long)t.Begin, (long)t.End));
        }
        if (expected != (ulong)dataLength)
            throw Invalid(path, previous is null
                ? $"the header lists no tensors, but {dataLength} data bytes follow it"
                : $"the last tensor '{previous}' ends at {expected}, but the data section holds {dataLength} bytes: the tensors must end exactly at the end of the file");
        return entries;
    }

    private static InvalidDataException Invalid(string path, string message) => new($"{path}: {message}");
}

using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.IO;

/// <summary>
/// Collects tensors and metadata, then writes one safetensors file atomically (<see cref="AtomicFile"/>). The layout
/// is deterministic: "__metadata__" first (keys in ordinal order), then the tensors in ordinal name order, both in
/// the header and in the data section; the header JSON is compact and padded with spaces to a multiple of 8 bytes.
/// Added byte buffers and tensors are read only when the file is written, so they must stay alive until then;
/// tensors are copied to the host one at a time.
/// </summary>
public sealed class SafetensorsWriter
{
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // plain UTF-8 like the reference writer; no HTML here
    };

    private readonly SortedDictionary<string, Source> _tensors = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, string> _metadata = new(StringComparer.Ordinal);

    private sealed record Source(DType DType, Shape Shape, ReadOnlyMemory<byte> Bytes, Tensor? Tensor)
    {
        public long ByteLength => Shape.Numel * DType.Size();
    }

    /// <summary>Adds a tensor given as raw little-endian bytes in <paramref name="dtype"/>.</summary>
    public SafetensorsWriter Add(string name, DType dtype, Shape shape, ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length != shape.Numel * dtype.Size())
            throw new ArgumentException($"tensor '{name}': shape {shape} of {dtype} needs {shape.Numel * dtype.Size()} bytes, got {bytes.Length}", nameof(bytes));
        return Add(name, new Source(dtype, shape, bytes, null));
    }

    /// <summary>Adds a tensor read from its backend (backend.CopyToHost) when the file is written.</summary>
    public SafetensorsWriter Add(string name, Tensor tensor) =>
        Add(name, new Source(tensor.DType, tensor.Shape, ReadOnlyMemory<byte>.Empty, tensor));

    public SafetensorsWriter AddMetadata(string key, string value)
    {
        if (!_metadata.TryAdd(key, value)) throw new ArgumentException($"metadata key '{key}' added twice", nameof(key));
        return this;
    }

    private SafetensorsWriter Add(string name, Source source)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("tensor name is empty", nameof(name));
        if (name == SafetensorsHeader.MetadataKey) throw new ArgumentException($"'{name}' is reserved for metadata", nameof(name));
        if (source.ByteLength > int.MaxValue)
            throw new ArgumentException($"tensor '{name}' is {source.ByteLength} bytes; Gkd.Native writes at most {int.MaxValue} bytes per tensor", nameof(name));
        if (!_tensors.TryAdd(name, source)) throw new ArgumentException($"tensor '{name}' added twice", nameof(name));
        return this;
    }

    /// <summary>Writes the file atomically: on failure an existing file at <paramref name="path"/> is untouched.</summary>
    public void Save(string path) => AtomicFile.Write(path, WriteTo);

    /// <summary>Writes the complete file to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        var header = Header();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var (_, source) in _tensors)
        {
            if (source.Tensor is not { } tensor)
            {
                stream.Write(source.Bytes.Span);
                continue;
            }
            var size = (int)source.ByteLength;
            var buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                tensor.Backend.CopyToHost(buffer.AsSpan(0, size), tensor);
                stream.Write(buffer, 0, size);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>The header JSON, space-padded to a multiple of 8 bytes.</summary>
    private byte[] Header()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in _metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, source) in _tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", source.DType.SafetensorsName());
                json.WriteStartArray("shape");
                foreach (var d in source.Shape.Dims) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += source.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        var padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }
}

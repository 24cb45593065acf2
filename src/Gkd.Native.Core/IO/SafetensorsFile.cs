using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.IO;

/// <summary>
/// A safetensors file, memory-mapped and validated on open (see <see cref="SafetensorsHeader"/>). Tensors are copied
/// out of the mapping on <see cref="Load"/>; nothing is read until then.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    private readonly MappedFile _file;

    private SafetensorsFile(MappedFile file, SafetensorsHeader header)
    {
        _file = file;
        Header = header;
        Keys = header.Entries.Select(e => e.Name).Order(StringComparer.Ordinal).ToArray();
    }

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {System.IO.Path.GetFullPath(path)}", path);
        var file = MappedFile.Open(path);
        try
        {
            return new SafetensorsFile(file, SafetensorsHeader.Read(file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The full path of the file.</summary>
    public string Path => _file.Path;

    public SafetensorsHeader Header { get; }
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    /// <summary>The tensors in data-section order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries => Header.Entries;

    /// <summary>Tensor names in ordinal order.</summary>
    public IReadOnlyList<string> Keys { get; }

    public bool Contains(string name) => Header.TryGetEntry(name, out _);

    /// <summary>The named entry; a missing name throws <see cref="KeyNotFoundException"/> naming the file and nearby keys.</summary>
    public SafetensorsEntry Entry(string name) =>
        Header.TryGetEntry(name, out var entry)
            ? entry
            : throw new KeyNotFoundException($"{Path}: no tensor '{name}'; {KeySuggestions.Describe(Keys, name)}");

    /// <summary>The raw little-endian bytes of an entry of this file, valid until the file is disposed.</summary>
    public ReadOnlySpan<byte> Bytes(SafetensorsEntry entry)
    {
        if (!Header.TryGetEntry(entry.Name, out var own) || !ReferenceEquals(own, entry))
            throw new ArgumentException($"{entry} is not an entry of {Path}", nameof(entry));
        if (entry.ByteLength > int.MaxValue)
            throw new NotSupportedException($"{Path}: tensor '{entry.Name}' is {entry.ByteLength} bytes; Gkd.Native reads at most {int.MaxValue} bytes per tensor");
        return _file.Slice(Header.DataOffset + entry.Begin, (int)entry.ByteLength);
    }

    /// <summary>A new tensor on <paramref name="backend"/> in the file's dtype, holding the named tensor's bytes.</summary>
    public Tensor Load(IBackend backend, string name)
    {
        var entry = Entry(name);
        var bytes = Bytes(entry);
        var tensor = backend.Allocate(entry.Shape, entry.DType);
        try
        {
            backend.CopyFromHost(tensor, bytes);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
        tensor.Name = name;
        return tensor;
    }

    public void Dispose() => _file.Dispose();

    public override string ToString() => $"{Path} ({Entries.Count} tensors)";
}

using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.IO;

/// <summary>
/// One tensor of a safetensors file as its header describes it. <see cref="Begin"/> and <see cref="End"/> are byte
/// offsets into the data section, which starts right after the header.
/// </summary>
public sealed class SafetensorsEntry
{
    private readonly DType? _dtype;

    internal SafetensorsEntry(string filePath, string name, string dtypeName, Shape shape, long begin, long end)
    {
        FilePath = filePath;
        Name = name;
        DTypeName = dtypeName;
        Shape = shape;
        Begin = begin;
        End = end;
        _dtype = DTypeInfo.TryParseSafetensors(dtypeName, out var dtype) ? dtype : null;
    }

    /// <summary>The file this entry was read from (for messages).</summary>
    public string FilePath { get; }

    public string Name { get; }

    /// <summary>The dtype exactly as the header spells it ("BF16", "U8", …).</summary>
    public string DTypeName { get; }

    public Shape Shape { get; }
    public long Begin { get; }
    public long End { get; }
    public long ByteLength => End - Begin;

    /// <summary>Whether Gkd.Native can load this tensor's dtype (F32, BF16, F16, I32).</summary>
    public bool IsSupported => _dtype.HasValue;

    /// <summary>The element type; throws <see cref="NotSupportedException"/> for a known dtype Gkd.Native does not load.</summary>
    public DType DType => _dtype ?? throw new NotSupportedException(
        $"{FilePath}: tensor '{Name}' has dtype {DTypeName}, a safetensors dtype Gkd.Native does not support " +
        $"(supported: {SafetensorsDTypes.SupportedNames})");

    public override string ToString() => $"{Name}{Shape} {DTypeName} [{Begin}, {End})";
}

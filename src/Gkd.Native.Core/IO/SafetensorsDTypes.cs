using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.IO;

/// <summary>
/// Every dtype name the reference safetensors implementation knows, with its width in bits, and which of them
/// Gkd.Native can load. A file may hold tensors of any known dtype; only loading one needs a supported dtype.
/// </summary>
public static class SafetensorsDTypes
{
    private static readonly (string Name, int Bits)[] Known =
    [
        ("BOOL", 8), ("F4", 4), ("F6_E2M3", 6), ("F6_E3M2", 6), ("U8", 8), ("I8", 8),
        ("F8_E5M2", 8), ("F8_E4M3", 8), ("F8_E8M0", 8), ("I16", 16), ("U16", 16), ("F16", 16),
        ("BF16", 16), ("I32", 32), ("U32", 32), ("F32", 32), ("C64", 64), ("F64", 64), ("I64", 64), ("U64", 64),
    ];

    /// <summary>The known names, comma-separated, for messages.</summary>
    public static string KnownNames { get; } = string.Join(", ", Known.Select(k => k.Name));

    /// <summary>The names Gkd.Native loads, comma-separated, for messages.</summary>
    public static string SupportedNames { get; } =
        string.Join(", ", Enum.GetValues<DType>().Select(d => d.SafetensorsName()));

    /// <summary>Bits per element of a known dtype name (case-sensitive, as the format requires).</summary>
    public static bool TryGetBits(string name, out int bits)
    {
        foreach (var (known, b) in Known)
        {
            if (known != name) continue;
            bits = b;
            return true;
        }
        bits = 0;
        return false;
    }
}

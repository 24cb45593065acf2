using System.Buffers.Binary;
using System.Text;

namespace Gkd.Native.Tests.IO;

/// <summary>Hand-built safetensors bytes: an 8-byte length, the header as given (no padding added), then data.</summary>
internal static class RawSafetensors
{
    public static byte[] Bytes(string header, byte[] data, ulong? declaredLength = null) =>
        Bytes(Encoding.UTF8.GetBytes(header), data, declaredLength);

    public static byte[] Bytes(byte[] header, byte[] data, ulong? declaredLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>Writes the bytes to a new file in a fresh temp directory and returns its full path.</summary>
    public static string WriteFile(string header, byte[] data, ulong? declaredLength = null) =>
        WriteFile(Bytes(header, data, declaredLength));

    public static string WriteFile(byte[] bytes)
    {
        var path = Path.Combine(Support.TestPaths.TempDir("safetensors"), "weights.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}

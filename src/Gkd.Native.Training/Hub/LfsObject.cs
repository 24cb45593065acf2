using System.Security.Cryptography;

namespace Gkd.Native.Training.Hub;

/// <summary>
/// A file's Git LFS identity: the sha256 of its bytes (lower-case hex, the oid) and its size, read in one streaming
/// pass — never the whole file in memory, so a multi-GB model.safetensors hashes in a few MB of RAM.
/// </summary>
public readonly record struct LfsObject(string Oid, long Size)
{
    private const int ReadBuffer = 1 << 20;

    public static LfsObject Of(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ReadBuffer, FileOptions.SequentialScan);
        var oid = Convert.ToHexStringLower(SHA256.HashData(file));
        return new LfsObject(oid, file.Position); // the bytes hashed, not a size read apart from them
    }
}

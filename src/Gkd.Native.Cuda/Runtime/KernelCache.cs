using System.Security.Cryptography;
using System.Text;
using Gkd.Native.Core.IO;
using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// Compiled kernel images on disk, one file per (source hash, options, arch, NVRTC version):
/// <c>{directory}/{kernel}-{key}.cubin</c> or <c>.ptx</c>. Each file is "GKDKRN01", the SHA-256 of the image, then the
/// image; a file that is short, mislabelled or fails its checksum is deleted and reported as missing, so the kernel
/// is recompiled. Writes are atomic (temporary sibling, then rename), so concurrent processes never read half a file.
/// </summary>
public sealed class KernelCache(string directory)
{
    private static readonly byte[] Magic = "GKDKRN01"u8.ToArray();
    private const int HeaderBytes = 8 + 32;

    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>$GKD_KERNEL_CACHE, else $XDG_CACHE_HOME/gkd/kernels, else ~/.cache/gkd/kernels.</summary>
    public static string DefaultDirectory(SearchEnvironment env)
    {
        if (env.Variable("GKD_KERNEL_CACHE") is { Length: > 0 } explicitDirectory) return explicitDirectory;
        var cacheHome = env.Variable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Join(env.Home, ".cache");
        return Path.Join(cacheHome, "gkd", "kernels");
    }

    /// <summary>The cache key: SHA-256 (hex) over the source hash, the options, the arch and the NVRTC version.</summary>
    public static string Key(string sourceHash, IReadOnlyList<string> options, string architecture, Version nvrtcVersion)
    {
        var text = new StringBuilder()
            .Append("source=").Append(sourceHash).Append('\n')
            .Append("arch=").Append(architecture).Append('\n')
            .Append("nvrtc=").Append(nvrtcVersion).Append('\n');
        foreach (var option in options) text.Append("option=").Append(option).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public string PathFor(string kernelName, string key, KernelImageKind kind) =>
        Path.Join(Directory, $"{kernelName}-{key}.{(kind == KernelImageKind.Cubin ? "cubin" : "ptx")}");

    /// <summary>The image stored at <paramref name="path"/>, or null when absent, unreadable or corrupt (a corrupt file is deleted).</summary>
    public static KernelImage? TryRead(string path, KernelImageKind kind)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (IsIntact(bytes)) return new KernelImage(kind, bytes[HeaderBytes..]);
        Evict(path);
        return null;
    }

    /// <summary>
    /// Stores an image. A cache that cannot be written (read-only or full disk) costs a recompile next time, never
    /// the run, so write failures are ignored.
    /// </summary>
    public static void Write(string path, KernelImage image)
    {
        try
        {
            AtomicFile.Write(path, stream =>
            {
                stream.Write(Magic);
                stream.Write(SHA256.HashData(image.Bytes));
                stream.Write(image.Bytes);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Deliberately ignored: see the summary.
        }
    }

    /// <summary>Removes an entry the driver refused to load, so that it is compiled afresh.</summary>
    public static void Evict(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Deliberately ignored: the next write replaces it atomically anyway.
        }
    }

    private static bool IsIntact(byte[] bytes) =>
        bytes.Length > HeaderBytes
        && bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)
        && SHA256.HashData(bytes.AsSpan(HeaderBytes)).AsSpan().SequenceEqual(bytes.AsSpan(Magic.Length, 32));
}

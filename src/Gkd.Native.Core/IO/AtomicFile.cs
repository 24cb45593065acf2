using System.Text;

namespace Gkd.Native.Core.IO;

/// <summary>
/// Writes files and directories so that readers see either the old version or the complete new one, never a
/// half-written one: the content goes to a temporary sibling (same directory, so the rename stays on one file
/// system), is flushed to disk, then renamed over the target. If writing fails, the temporary is removed and the
/// target is left as it was. Missing parent directories are created.
/// </summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream => stream.Write(Utf8NoBom.GetBytes(text)));

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, stream => stream.Write(copy));
    }

    /// <summary>Lets <paramref name="write"/> fill a stream that becomes <paramref name="path"/> once it returns.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var target = Path.GetFullPath(path);
        var temp = TempSibling(target, "tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            BestEffort(() => File.Delete(temp));
            throw;
        }
    }

    /// <summary>
    /// Lets <paramref name="build"/> fill a fresh temporary directory (its path is the argument), then moves it to
    /// <paramref name="path"/>. An existing directory there is replaced only after the new one is complete: it is
    /// moved aside, the new one moved in, and the old one deleted (moved back if the swap fails).
    /// </summary>
    public static void WriteDirectory(string path, Action<string> build)
    {
        var target = Path.GetFullPath(Path.TrimEndingDirectorySeparator(path));
        var temp = TempSibling(target, "tmp");
        try
        {
            Directory.CreateDirectory(temp);
            build(temp);
            if (!Directory.Exists(target))
            {
                Directory.Move(temp, target);
                return;
            }
            var old = TempSibling(target, "old");
            Directory.Move(target, old);
            try
            {
                Directory.Move(temp, target);
            }
            catch
            {
                Directory.Move(old, target);
                throw;
            }
            BestEffort(() => Directory.Delete(old, recursive: true));
        }
        catch
        {
            BestEffort(() =>
            {
                if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            });
            throw;
        }
    }

    /// <summary>A hidden, unique name beside <paramref name="target"/>; creates the parent directory.</summary>
    private static string TempSibling(string target, string kind)
    {
        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"{target} has no parent directory");
        Directory.CreateDirectory(parent);
        return Path.Combine(parent, $".{Path.GetFileName(target)}.{kind}-{Guid.NewGuid():N}");
    }

    /// <summary>Cleanup that must not hide the outcome: a stray hidden temporary is harmless.</summary>
    private static void BestEffort(Action cleanup)
    {
        try
        {
            cleanup();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Deliberately ignored: the write's own result (or its exception) is what the caller must see.
        }
    }
}

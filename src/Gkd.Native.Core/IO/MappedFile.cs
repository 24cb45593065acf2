using System.IO.MemoryMappedFiles;

namespace Gkd.Native.Core.IO;

/// <summary>
/// A whole file mapped read-only into memory, handing out <see cref="ReadOnlySpan{T}"/> slices of it. The file may
/// be larger than 2 GiB; each slice is at most <see cref="int.MaxValue"/> bytes. Slices must not be used after
/// <see cref="Dispose"/>. The file is opened with delete sharing, so an atomic rename over it (a checkpoint being
/// rewritten) leaves this mapping on the old contents.
/// </summary>
public sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;

    private MappedFile(string path, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view)
    {
        Path = path;
        Length = length;
        _map = map;
        _view = view;
        if (view is null) return;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref _pointer);
        _pointer += view.PointerOffset;
    }

    /// <summary>The full path of the mapped file.</summary>
    public string Path { get; }

    /// <summary>File size in bytes at the time it was mapped.</summary>
    public long Length { get; }

    public static MappedFile Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        try
        {
            var length = stream.Length;
            if (length == 0)
            {
                stream.Dispose();
                return new MappedFile(full, 0, null, null);
            }
            var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            try
            {
                return new MappedFile(full, length, map, map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read));
            }
            catch
            {
                map.Dispose();
                throw;
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Bytes [offset, offset + length) of the file.</summary>
    public ReadOnlySpan<byte> Slice(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_pointer is null && Length > 0, this);
        if (offset < 0 || length < 0 || offset > Length - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"bytes [{offset}, {offset + length}) of {Path} ({Length} bytes)");
        return length == 0 ? [] : new ReadOnlySpan<byte>(_pointer + offset, length);
    }

    public void Dispose()
    {
        if (_pointer is null) return;
        _pointer = null;
        _view!.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map!.Dispose();
    }
}

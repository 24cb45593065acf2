using Gkd.Native.Core.IO;
using NUnit.Framework;

namespace Gkd.Native.Tests.IO;

public class MappedFileTests
{
    private static string WriteTemp(byte[] bytes)
    {
        var path = Path.Combine(Support.TestPaths.TempDir("mapped"), "file.bin");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Test]
    public void Slices_read_the_file_and_bounds_are_checked()
    {
        var bytes = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        using var file = MappedFile.Open(WriteTemp(bytes));
        Assert.That(file.Length, Is.EqualTo(100));
        Assert.That(file.Slice(95, 5).ToArray(), Is.EqualTo(bytes[95..]));
        Assert.That(file.Slice(100, 0).Length, Is.Zero);
        Assert.That(() => file.Slice(96, 5).Length, Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("bytes [96, 101)"));
        Assert.That(() => file.Slice(-1, 1).Length, Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void An_empty_file_maps_to_nothing()
    {
        using var file = MappedFile.Open(WriteTemp([]));
        Assert.That(file.Length, Is.Zero);
        Assert.That(file.Slice(0, 0).Length, Is.Zero);
    }

    [Test]
    public void Disposed_mapping_refuses_slices()
    {
        var file = MappedFile.Open(WriteTemp([1, 2, 3]));
        file.Dispose();
        file.Dispose();
        Assert.That(() => file.Slice(0, 1).Length, Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void An_atomic_rewrite_leaves_an_open_mapping_on_the_old_contents()
    {
        var path = WriteTemp([1, 2, 3]);
        using var file = MappedFile.Open(path);
        AtomicFile.WriteAllBytes(path, [7, 7, 7, 7]);
        Assert.That(file.Slice(0, 3).ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(new byte[] { 7, 7, 7, 7 }));
    }
}

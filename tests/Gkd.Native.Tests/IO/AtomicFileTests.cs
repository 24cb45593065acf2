using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using NUnit.Framework;

namespace Gkd.Native.Tests.IO;

public class AtomicFileTests
{
    private static string[] Hidden(string dir) =>
        Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Where(n => n!.StartsWith('.')).ToArray()!;

    [Test]
    public void Writes_text_and_bytes_creating_the_parent_directory()
    {
        var dir = Support.TestPaths.TempDir("atomic");
        var text = Path.Combine(dir, "sub", "config.json");
        AtomicFile.WriteAllText(text, "{\"ä\": 1}");
        Assert.That(File.ReadAllBytes(text), Is.EqualTo("{\"ä\": 1}"u8.ToArray()), "UTF-8 without a byte-order mark");

        var bin = Path.Combine(dir, "data.bin");
        AtomicFile.WriteAllBytes(bin, [1, 2, 3]);
        AtomicFile.WriteAllBytes(bin, [4, 5]);
        Assert.That(File.ReadAllBytes(bin), Is.EqualTo(new byte[] { 4, 5 }));
        Assert.That(Hidden(dir), Is.Empty, "no temporary left behind");
    }

    [Test]
    public void A_write_that_fails_midway_leaves_the_old_file_and_no_temporary()
    {
        var dir = Support.TestPaths.TempDir("atomic");
        var path = Path.Combine(dir, "state.bin");
        File.WriteAllBytes(path, [9, 9, 9]);
        Assert.That(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new InvalidOperationException("disk on fire");
        }), Throws.InvalidOperationException.With.Message.EqualTo("disk on fire"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(new byte[] { 9, 9, 9 }));
        Assert.That(Directory.GetFileSystemEntries(dir), Has.Length.EqualTo(1));
    }

    [Test]
    public void A_safetensors_save_that_fails_midway_leaves_the_old_checkpoint()
    {
        var backend = new CpuBackend(2);
        var dir = Support.TestPaths.TempDir("atomic");
        var path = Path.Combine(dir, "model.safetensors");
        new SafetensorsWriter().Add("w", DType.F32, new Shape(2), new byte[8]).Save(path);
        var before = File.ReadAllBytes(path);

        var gone = backend.Allocate(new Shape(4), DType.F32);
        var writer = new SafetensorsWriter().Add("a", DType.F32, new Shape(4), new byte[16]).Add("z", gone);
        gone.Dispose(); // the header and tensor 'a' are written before 'z' fails
        Assert.That(() => writer.Save(path), Throws.TypeOf<ObjectDisposedException>());

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(Directory.GetFileSystemEntries(dir), Is.EqualTo(new[] { path }));
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Keys, Is.EqualTo(new[] { "w" }));
    }

    [Test]
    public void A_directory_appears_only_when_complete()
    {
        var parent = Support.TestPaths.TempDir("atomicdir");
        var target = Path.Combine(parent, "checkpoint-10");
        AtomicFile.WriteDirectory(target, temp =>
        {
            Assert.That(Directory.Exists(target), Is.False, "the target is not there while being built");
            File.WriteAllText(Path.Combine(temp, "a.txt"), "new");
        });
        Assert.That(File.ReadAllText(Path.Combine(target, "a.txt")), Is.EqualTo("new"));
        Assert.That(Hidden(parent), Is.Empty);
    }

    [Test]
    public void An_existing_directory_is_replaced_only_after_the_new_one_is_complete()
    {
        var parent = Support.TestPaths.TempDir("atomicdir");
        var target = Path.Combine(parent, "final");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "old.txt"), "old");

        AtomicFile.WriteDirectory(target, temp =>
        {
            Assert.That(File.Exists(Path.Combine(target, "old.txt")), "the old directory stays until the new one is done");
            File.WriteAllText(Path.Combine(temp, "new.txt"), "new");
        });
        Assert.That(Directory.GetFiles(target).Select(Path.GetFileName), Is.EqualTo(new[] { "new.txt" }));
        Assert.That(Hidden(parent), Is.Empty);
    }

    [Test]
    public void A_directory_build_that_fails_leaves_the_old_directory_and_no_temporary()
    {
        var parent = Support.TestPaths.TempDir("atomicdir");
        var target = Path.Combine(parent, "final");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "old.txt"), "old");

        Assert.That(() => AtomicFile.WriteDirectory(target, temp =>
        {
            File.WriteAllText(Path.Combine(temp, "half.txt"), "half");
            throw new IOException("interrupted");
        }), Throws.TypeOf<IOException>().With.Message.EqualTo("interrupted"));
        Assert.That(File.ReadAllText(Path.Combine(target, "old.txt")), Is.EqualTo("old"));
        Assert.That(Directory.GetFiles(target), Has.Length.EqualTo(1));
        Assert.That(Hidden(parent), Is.Empty);
    }
}

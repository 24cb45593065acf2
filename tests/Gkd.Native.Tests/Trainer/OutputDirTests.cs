using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Trainer;

/// <summary>
/// As transformers' Trainer: a non-empty output_dir is refused before anything is loaded or written, unless
/// --overwrite_output_dir is given or the run resumes from a checkpoint.
/// </summary>
public sealed class OutputDirTests
{
    private static string NonEmptyDir()
    {
        var dir = TestPaths.TempDir("occupied");
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "keep me");
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        File.WriteAllText(Path.Combine(dir, "sub", "data.bin"), "and me");
        return dir;
    }

    /// <summary>Every entry under dir with its contents and modification time.</summary>
    private static string[] Snapshot(string dir) =>
        Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => $"{Path.GetRelativePath(dir, p)} {File.GetLastWriteTimeUtc(p):O} {(File.Exists(p) ? File.ReadAllText(p) : "<dir>")}")
            .ToArray();

    [Test]
    public void NonEmptyOutputDirIsRefusedAndLeftUntouched()
    {
        var dir = NonEmptyDir();
        var before = Snapshot(dir);
        var (code, stdout, stderr) = TrainRun.Gkd([.. TrainRun.Lora(dir, maxSteps: 1), "--lmbda", "0"]);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2), stderr + stdout);
            Assert.That(stderr, Does.Contain($"--output_dir {dir} is not empty").And.Contain("--overwrite_output_dir"));
            Assert.That(stdout, Is.Empty);
            Assert.That(Snapshot(dir), Is.EqualTo(before));
        });
    }

    [Test]
    public void OverwriteOutputDirWritesBesideWhatIsThere()
    {
        var dir = NonEmptyDir();
        var (code, stdout, stderr) = TrainRun.Gkd([.. TrainRun.Lora(dir, maxSteps: 1), "--lmbda", "0", "--overwrite_output_dir"]);
        Assert.That(code, Is.EqualTo(0), stderr + stdout);
        Assert.That(File.Exists(Path.Combine(dir, "adapter_model.safetensors")));
        Assert.That(File.ReadAllText(Path.Combine(dir, "notes.txt")), Is.EqualTo("keep me"));
    }

    [Test]
    public void ResumingIntoTheRunsOwnOutputDirNeedsNoOverwriteFlag()
    {
        var dir = TrainRun.NewOutput("own");
        string[] args = [.. TrainRun.Lora(dir, maxSteps: 2), "--lmbda", "0", "--save_steps", "1"];
        var first = TrainRun.Gkd(args);
        Assert.That(first.Code, Is.EqualTo(0), first.Err + first.Out);

        var again = TrainRun.Gkd(args);
        Assert.That(again.Code, Is.EqualTo(2), "a second run into the same output_dir must be refused");
        Assert.That(again.Err, Does.Contain("--resume_from_checkpoint"));

        var resumed = TrainRun.Gkd([.. args, "--resume_from_checkpoint"]);
        Assert.That(resumed.Code, Is.EqualTo(0), resumed.Err + resumed.Out);
        Assert.That(resumed.Out, Does.Contain($"resumed from {Path.Combine(dir, "checkpoint-1")} at step 1"));
    }
}

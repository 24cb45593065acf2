using Gkd.Native.Tests.Support;
using Gkd.Native.Tests.Trainer;

namespace Gkd.Native.Tests.Cli;

/// <summary>
/// The GPU check's harness (`gkd bench`) on the emulated runtime: every parity case — each op and two whole tiny GKD
/// steps — passes at both activation dtypes, the tiny step suite runs, and summary.md / results.tsv are written. What
/// the one GPU call will execute is thereby executed on every CI run, minus the card.
/// </summary>
[Category("KernelEmulation")]
public sealed class BenchCommandTests
{
    [TestCase("bf16")]
    [TestCase("f32")]
    public void ParityAndTinyStep_PassUnderEmulation(string activations)
    {
        var output = TestPaths.TempDir("bench");
        var (code, stdout, stderr) = TrainRun.Gkd("bench", "--runtime", "emulation", "--activations", activations,
            "--suites", "probe,parity,step,memory", "--tiny_step", "--threads", "2", "--out", output);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0), stderr + stdout);
            Assert.That(stdout, Does.Contain("GKD steps: tiny Qwen2 pair").And.Contain("all checks passed"));
            Assert.That(stdout, Does.Not.Contain("FAIL"));
            Assert.That(stdout, Does.Contain("seconds per optimizer step"));
            Assert.That(stdout, Does.Contain("without checkpointing: the tape holds").And.Contain("with checkpointing: the tape holds"));
            Assert.That(File.ReadAllText(Path.Combine(output, "summary.md")), Does.Contain("## parity"));
            Assert.That(File.ReadAllLines(Path.Combine(output, "results.tsv")), Has.Length.GreaterThan(20));
        });
    }

    [Test]
    public void UnknownSuite_IsAUsageError()
    {
        var (code, _, stderr) = TrainRun.Gkd("bench", "--runtime", "emulation", "--suites", "parity,speed");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("unknown speed"));
    }
}

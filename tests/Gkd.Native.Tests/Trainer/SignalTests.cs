using System.Text.RegularExpressions;

namespace Gkd.Native.Tests.Trainer;

/// <summary>
/// SIGINT/SIGTERM on a real `gkd train` process: the first finishes the current step, saves a complete checkpoint of
/// it and exits 128 + the signal number; a second exits at once, and every checkpoint-N already in place stays
/// complete (they are written to a hidden temporary and renamed).
/// </summary>
public sealed partial class SignalTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A run far longer than the test, with slow steps (≈ 1 s: four micro-batches of six rows sampled on-policy for up
    /// to 180 tokens at a high temperature, on one thread), logging each one.
    /// </summary>
    private static GkdProcess Start(string output, int saveSteps) => GkdProcess.Start([
        .. TrainRun.Lora(output, maxSteps: 100_000), "--save_steps", TrainRun.Arg(saveSteps), "--lmbda", "1", "--max_new_tokens", "180",
        "--temperature", "5", "--per_device_train_batch_size", "6", "--gradient_accumulation_steps", "4", "--threads", "1",
    ]);

    private static bool LoggedStep(string line, int step) => line.StartsWith("{\"loss\"", StringComparison.Ordinal) && line.Contains($"\"step\":{step},");

    [TestCase("INT", 130)]
    [TestCase("TERM", 143)]
    public void SignalSavesTheCurrentStepAndExitsWith128PlusItsNumber(string signal, int exitCode)
    {
        var output = TrainRun.NewOutput("signal");
        using var gkd = Start(output, saveSteps: 0);
        gkd.WaitForLine(l => LoggedStep(l, 1), Patience, "step 1");
        gkd.Signal(signal);
        Assert.That(gkd.WaitForExit(Patience), Is.EqualTo(exitCode), gkd.Output);

        var stopped = StoppedAt().Match(gkd.Output);
        Assert.That(stopped.Success, gkd.Output);
        var step = int.Parse(stopped.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(gkd.Output, Does.Contain($"\"step\":{step},"), "the checkpoint is of the last step logged");
        Assert.That(gkd.Output, Does.Not.Contain($"\"step\":{step + 1},"));
        Assert.That(TrainRun.CheckpointSteps(output), Is.EqualTo(new[] { step }));
        var state = TrainRun.LoadCheckpoint(Path.Combine(output, $"checkpoint-{step}"));
        Assert.That(state.GlobalStep, Is.EqualTo(step));
        Assert.That(state.LogHistory.Select(e => e["step"]!.GetValue<int>()), Is.EqualTo(Enumerable.Range(1, step)));
        Assert.That(TrainRun.Hidden(output), Is.Empty, "temporaries left behind");
        Assert.That(File.Exists(Path.Combine(output, "adapter_model.safetensors")), Is.False, "an interrupted run is not a finished one");
    }

    [Test]
    public void SecondSignalExitsAtOnceAndLeavesTheCheckpointsIntact()
    {
        var output = TrainRun.NewOutput("signal-twice");
        using var gkd = Start(output, saveSteps: 1);
        var first = Path.Combine(output, "checkpoint-1");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!Directory.Exists(first) && clock.Elapsed < Patience) Thread.Sleep(10); // renamed into place when complete
        gkd.Signal("INT"); // in step 2, which takes a second
        gkd.WaitForLine(l => l.StartsWith("SIGINT: finishing the current step", StringComparison.Ordinal), Patience, "the first signal's notice");
        gkd.Signal("INT");
        Assert.That(gkd.WaitForExit(Patience), Is.EqualTo(130), gkd.Output);
        Assert.That(gkd.Output, Does.Contain("SIGINT again: exiting now"));
        Assert.That(StoppedAt().IsMatch(gkd.Output), Is.False, "the second signal must not wait for the step to finish");

        Assert.That(TrainRun.CheckpointSteps(output), Is.EqualTo(new[] { 1 }), "step 2 never finished");
        Assert.That(TrainRun.LoadCheckpoint(first).GlobalStep, Is.EqualTo(1));
    }

    [GeneratedRegex(@"stopped at step (\d+): saved ")]
    private static partial Regex StoppedAt();
}

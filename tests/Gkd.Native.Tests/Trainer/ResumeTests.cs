using System.Text.Json.Nodes;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Trainer;

/// <summary>
/// --resume_from_checkpoint continues a run exactly: 2 steps, a checkpoint, 2 more steps give the bytes of 4 straight
/// steps. The run samples on-policy (λ 0.5) and keeps LoRA dropout on, so the on-policy coin, the samples and the
/// dropout masks of the resumed steps must all be the ones the straight run drew.
/// </summary>
public sealed class ResumeTests
{
    private static readonly string Dataset = TrainRun.Dataset(0, 6);

    private static string[] Args(string output, int saveSteps) =>
    [
        .. TrainRun.Lora(output, maxSteps: 4, Dataset), "--save_steps", TrainRun.Arg(saveSteps), "--lmbda", "0.5",
        "--max_new_tokens", "8", "--lora_dropout", "0.3", "--disable_dropout", "false",
    ];

    private static void Train(params string[] args)
    {
        var (code, stdout, stderr) = TrainRun.Gkd(args);
        Assert.That(code, Is.EqualTo(0), stderr + stdout);
    }

    [Test]
    public void ResumingFromAnExplicitCheckpointPathReproducesTheStraightRun()
    {
        var straight = TrainRun.NewOutput("straight");
        Train(Args(straight, saveSteps: 2));
        var resumed = TrainRun.NewOutput("resumed");
        var checkpoint = Path.Combine(straight, "checkpoint-2");
        var (code, stdout, stderr) = TrainRun.Gkd([.. Args(resumed, saveSteps: 2), "--resume_from_checkpoint", checkpoint]);
        Assert.That(code, Is.EqualTo(0), stderr + stdout);
        Assert.That(stdout, Does.Contain($"resumed from {checkpoint} at step 2"));
        AssertSameRun(straight, resumed);
    }

    [Test]
    public void BareResumeFlagContinuesFromTheNewestCheckpointInOutputDir()
    {
        var straight = TrainRun.NewOutput("straight");
        Train(Args(straight, saveSteps: 1));
        var resumed = TrainRun.NewOutput("resumed");
        foreach (var step in new[] { 1, 2 }) CopyDirectory(Path.Combine(straight, $"checkpoint-{step}"), Path.Combine(resumed, $"checkpoint-{step}"));
        var (code, stdout, stderr) = TrainRun.Gkd([.. Args(resumed, saveSteps: 1), "--resume_from_checkpoint"]);
        Assert.That(code, Is.EqualTo(0), stderr + stdout);
        Assert.That(stdout, Does.Contain($"resumed from {Path.Combine(resumed, "checkpoint-2")} at step 2"));
        AssertSameRun(straight, resumed);
        foreach (var file in new[] { "adapter_model.safetensors", "optimizer.safetensors" })
            Assert.That(File.ReadAllBytes(Path.Combine(resumed, "checkpoint-3", file)),
                Is.EqualTo(File.ReadAllBytes(Path.Combine(straight, "checkpoint-3", file))), $"checkpoint-3/{file}");
    }

    [Test]
    public void BareResumeFlagWithoutACheckpointIsAUsageError()
    {
        var output = TestPaths.TempDir("empty");
        var (code, _, stderr) = TrainRun.Gkd([.. Args(output, saveSteps: 2), "--resume_from_checkpoint"]);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("no checkpoint-N directory in " + output));
    }

    /// <summary>Same adapter bytes, same trainer state; only the timings in log_history may differ.</summary>
    private static void AssertSameRun(string straight, string resumed)
    {
        Assert.That(File.ReadAllBytes(Path.Combine(resumed, "adapter_model.safetensors")),
            Is.EqualTo(File.ReadAllBytes(Path.Combine(straight, "adapter_model.safetensors"))), "adapter_model.safetensors");
        var a = State(straight);
        var b = State(resumed);
        Assert.That(b["global_step"]!.GetValue<int>(), Is.EqualTo(4));
        Assert.That(b["num_input_tokens_seen"]!.GetValue<long>(), Is.EqualTo(a["num_input_tokens_seen"]!.GetValue<long>()));
        Assert.That(b["epoch"]!.GetValue<double>(), Is.EqualTo(a["epoch"]!.GetValue<double>()));
        var history = Untimed(b);
        Assert.That(history.Select(e => e.ToJsonString()), Is.EqualTo(Untimed(a).Select(e => e.ToJsonString())));
        Assert.That(history.Select(e => e["step"]!.GetValue<int>()), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        // The resumed half must have sampled on-policy, or the test would not cover the sampler's seeds.
        Assert.That(history.Skip(2).Max(e => e["on_policy_fraction"]!.GetValue<double>()), Is.GreaterThan(0), "no on-policy step after the resume");
    }

    private static JsonObject State(string dir) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "trainer_state.json")))!.AsObject();

    private static List<JsonObject> Untimed(JsonObject state) =>
        state["log_history"]!.AsArray().Select(e =>
        {
            var o = e!.AsObject().DeepClone().AsObject();
            o.Remove("tokens_per_second");
            o.Remove("seconds_per_step");
            return o;
        }).ToList();

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}

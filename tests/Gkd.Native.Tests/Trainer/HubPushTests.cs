using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Trainer;

/// <summary>
/// --push_to_hub against a local Hub (<see cref="FakeHub"/>) reached through HF_ENDPOINT with HF_TOKEN: output_dir
/// goes up as one commit, without the checkpoints; a missing token, a refused token or an unreachable endpoint fail
/// before the first training step. The product reads the environment, so these tests set it and must run alone.
/// </summary>
[NonParallelizable]
public sealed class HubPushTests
{
    private const string Token = "hf_local_test_token";
    private EnvironmentScope _env = null!;

    [SetUp]
    public void ClearHubEnvironment() =>
        _env = new EnvironmentScope().Set("HF_TOKEN", null).Set("HUGGING_FACE_HUB_TOKEN", null).Set("HF_ENDPOINT", null);

    [TearDown]
    public void RestoreEnvironment() => _env.Dispose();

    private static string[] Push(string output) =>
        [.. TrainRun.Lora(output, maxSteps: 2), "--lmbda", "0", "--save_steps", "1", "--push_to_hub", "--hub_model_id", "gkd-tiny"];

    [Test]
    public void PushUploadsOutputDirWithoutCheckpointsAsOneCommit()
    {
        using var hub = new FakeHub(Token);
        _env.Set("HF_TOKEN", Token).Set("HF_ENDPOINT", hub.Endpoint);
        var output = TrainRun.NewOutput("push");
        var (code, stdout, stderr) = TrainRun.Gkd(Push(output));
        Assert.That(code, Is.EqualTo(0), stderr + stdout);
        Assert.That(hub.Errors, Is.Empty);
        Assert.That(stdout, Does.Contain($"push_to_hub: {hub.Endpoint}/{FakeHub.User}/gkd-tiny is ready"));

        var created = hub.CreatedRepos.Single();
        Assert.That(created["name"]!.GetValue<string>(), Is.EqualTo("gkd-tiny"));
        Assert.That(created["organization"]!.GetValue<string>(), Is.EqualTo(FakeHub.User));
        Assert.That(created["private"]!.GetValue<bool>(), Is.False);

        var (repo, summary, files, lfs) = hub.Commits.Single();
        Assert.That(repo, Is.EqualTo($"{FakeHub.User}/gkd-tiny"));
        Assert.That(summary, Is.Not.Empty);
        var expected = Directory.EnumerateFiles(output).Select(Path.GetFileName).ToArray();
        Assert.That(TrainRun.CheckpointSteps(output), Is.Not.Empty, "the run must have checkpoints for the test to show they stay local");
        Assert.That(files.Keys, Is.EquivalentTo(expected));
        Assert.That(expected, Is.SupersetOf(new[] { "adapter_model.safetensors", "adapter_config.json", "README.md", "trainer_state.json", "tokenizer.json" }));
        foreach (var (path, bytes) in files) Assert.That(bytes, Is.EqualTo(File.ReadAllBytes(Path.Combine(output, path))), path);
        Assert.That(lfs, Does.ContainKey("adapter_model.safetensors"));
    }

    [Test]
    public void MissingTokenFailsBeforeTraining()
    {
        using var hub = new FakeHub(Token);
        _env.Set("HF_ENDPOINT", hub.Endpoint);
        var output = TrainRun.NewOutput("push-no-token");
        var (code, stdout, stderr) = TrainRun.Gkd(Push(output));
        Assert.That(code, Is.EqualTo(2), stderr + stdout);
        Assert.That(stderr, Does.Contain("HF_TOKEN"));
        AssertNothingTrained(output, stdout);
        Assert.That(hub.Requests, Is.Empty);
    }

    [Test]
    public void RefusedTokenFailsBeforeTraining()
    {
        using var hub = new FakeHub(Token);
        _env.Set("HF_TOKEN", "hf_wrong").Set("HF_ENDPOINT", hub.Endpoint);
        var output = TrainRun.NewOutput("push-bad-token");
        var (code, stdout, stderr) = TrainRun.Gkd(Push(output));
        Assert.That(code, Is.EqualTo(1), stderr + stdout);
        Assert.That(stderr, Does.Contain("401").And.Contain("check HF_TOKEN"));
        AssertNothingTrained(output, stdout);
    }

    [Test]
    public void UnreachableEndpointFailsBeforeTraining()
    {
        string endpoint;
        using (var hub = new FakeHub(Token)) endpoint = hub.Endpoint; // a loopback port nobody listens on any more
        _env.Set("HF_TOKEN", Token).Set("HF_ENDPOINT", endpoint);
        var output = TrainRun.NewOutput("push-unreachable");
        var (code, stdout, stderr) = TrainRun.Gkd(Push(output));
        Assert.That(code, Is.EqualTo(1), stderr + stdout);
        Assert.That(stderr, Does.Contain("unreachable").And.Contain("HF_ENDPOINT"));
        AssertNothingTrained(output, stdout);
    }

    private static void AssertNothingTrained(string output, string stdout)
    {
        Assert.That(stdout, Does.Not.Contain("\"loss\""));
        Assert.That(Directory.Exists(output), Is.False, "output_dir was written before the Hub was checked");
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Trainer;

/// <summary>`gkd demo --quick`: the whole pipeline in seconds, its before/after table, results.json and curves.</summary>
public sealed class DemoTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Test]
    public void QuickDemoPrintsTheTableAndWritesResultsAndCurves()
    {
        var output = TrainRun.NewOutput("demo");
        var (code, stdout, stderr) = TrainRun.Gkd("demo", "--quick", "--output_dir", output, "--threads", "2");
        Assert.That(code, Is.EqualTo(0), stderr + stdout);

        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "results.json")))!;
        string Jsd(string who) => results[who]!["eval_jsd"]!.GetValue<double>().ToString("F4", CultureInfo.InvariantCulture);
        string Pct(JsonNode n) => (100 * n.GetValue<double>()).ToString("F1", CultureInfo.InvariantCulture) + "%";
        Assert.That(stdout, Does.Match(@$"\| teacher +\| +— \| +{Pct(results["teacher_accuracy"]!)} \|"));
        Assert.That(stdout, Does.Match(@$"\| student before GKD \| +{Jsd("student_before")} \| +{Pct(results["student_before"]!["accuracy"]!)} \|"));
        Assert.That(stdout, Does.Match(@$"\| student after GKD +\| +{Jsd("student_after")} \| +{Pct(results["student_after"]!["accuracy"]!)} \|"));
        Assert.That(results["student_after"]!["eval_jsd"]!.GetValue<double>(), Is.LessThan(results["student_before"]!["eval_jsd"]!.GetValue<double>()),
            "distillation must bring the student closer to the teacher");

        foreach (var png in new[] { "pretraining_curves.png", Path.Combine("distilled", "training_curves.png") })
            Assert.That(File.ReadAllBytes(Path.Combine(output, png)).Take(8), Is.EqualTo(PngSignature), png);
        foreach (var file in new[] { "adapter_model.safetensors", "adapter_config.json", "trainer_state.json" })
            Assert.That(File.Exists(Path.Combine(output, "distilled", file)), file);
        foreach (var dir in new[] { "teacher", "student" })
            Assert.That(File.Exists(Path.Combine(output, dir, "model.safetensors")), dir);
    }

    [Test]
    public void NonEmptyOutputDirIsRefused()
    {
        var output = TestPaths.TempDir("demo-occupied");
        File.WriteAllText(Path.Combine(output, "notes.txt"), "keep me");
        var (code, stdout, stderr) = TrainRun.Gkd("demo", "--quick", "--output_dir", output);
        Assert.That(code, Is.EqualTo(2), stderr + stdout);
        Assert.That(stderr, Does.Contain($"--output_dir {output} is not empty").And.Contain("--overwrite_output_dir"));
        Assert.That(Directory.EnumerateFileSystemEntries(output).Select(Path.GetFileName), Is.EqualTo(new[] { "notes.txt" }));
        Assert.That(File.ReadAllText(Path.Combine(output, "notes.txt")), Is.EqualTo("keep me"));
    }
}

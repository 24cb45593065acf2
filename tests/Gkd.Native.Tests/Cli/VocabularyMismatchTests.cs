using System.Text.Json.Nodes;
using Gkd.Native.Tests.Support;
using Gkd.Native.Tests.Trainer;

namespace Gkd.Native.Tests.Cli;

/// <summary>A teacher whose vocab_size differs from the student's is refused by eval and train, naming both directories and sizes.</summary>
public sealed class VocabularyMismatchTests
{
    private string _teacher = null!;

    [OneTimeSetUp]
    public void WriteTeacher()
    {
        // The golden teacher with config.json claiming a larger vocabulary (the check reads configs, before any weight).
        _teacher = TestPaths.TempDir("teacher-vocab");
        foreach (var file in Directory.GetFiles(TrainRun.Teacher))
            File.Copy(file, Path.Combine(_teacher, Path.GetFileName(file)));
        var configPath = Path.Combine(_teacher, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["vocab_size"] = config["vocab_size"]!.GetValue<int>() + 64;
        File.WriteAllText(configPath, config.ToJsonString());
    }

    [Test]
    public void Eval_RefusesIt()
    {
        var output = Path.Combine(TestPaths.TempDir("vocab-eval"), "out");
        AssertRefused(TrainRun.Gkd("eval", "--model_name_or_path", TrainRun.Student, "--teacher_model_name_or_path", _teacher,
            "--dataset_name", TrainRun.Dataset(0, 2), "--dataset_test_split", "train", "--output_dir", output), output);
    }

    [Test]
    public void Train_RefusesIt()
    {
        var output = Path.Combine(TestPaths.TempDir("vocab-train"), "out");
        string[] args = [.. TrainRun.Base(TrainRun.Dataset(0, 2), output)];
        args[Array.IndexOf(args, TrainRun.Teacher)] = _teacher;
        AssertRefused(TrainRun.Gkd(args), output);
    }

    private void AssertRefused((int Code, string Out, string Err) run, string output)
    {
        var vocab = JsonNode.Parse(File.ReadAllText(Path.Combine(TrainRun.Student, "config.json")))!["vocab_size"]!.GetValue<int>();
        Assert.Multiple(() =>
        {
            Assert.That(run.Code, Is.EqualTo(1), run.Out);
            Assert.That(run.Err, Does.StartWith("error: student and teacher must share a vocabulary"));
            Assert.That(run.Err, Does.Contain($"has vocab_size {vocab}").And.Contain($"{_teacher} has {vocab + 64}"));
            Assert.That(Directory.Exists(output), Is.False, "nothing written");
        });
    }
}

using System.Text.Json.Nodes;
using Gkd.Native.Core.IO;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Trainer;

/// <summary>
/// What `gkd train --use_peft` leaves in output_dir is what PEFT's save_pretrained and transformers' Trainer leave:
/// the adapter's keys, shapes, dtype and config fields, the model card, trainer_state.json, the curves, the tokenizer,
/// and checkpoint-N directories rotated by --save_total_limit; and gkd's own verbs accept it.
/// </summary>
public sealed class PeftConformanceTests
{
    // The student: hidden 32, 4 query heads and 2 key/value heads of 8, 2 layers.
    private const int Hidden = 32, KvWidth = 16, Layers = 2, Rank = 4;
    private string _output = "";
    private string _dataset = "";

    [OneTimeSetUp]
    public void TrainOnce()
    {
        _dataset = TrainRun.Dataset(0, 6, withTest: true);
        _output = TrainRun.NewOutput("peft");
        var (code, stdout, stderr) = TrainRun.Gkd([
            .. TrainRun.Lora(_output, maxSteps: 4, _dataset), "--lmbda", "0", "--lora_r", TrainRun.Arg(Rank), "--lora_alpha", "8",
            "--lora_dropout", "0.1", "--save_steps", "1", "--save_total_limit", "2",
        ]);
        Assert.That(code, Is.EqualTo(0), stderr + stdout);
    }

    [Test]
    public void AdapterHoldsPeftKeysShapesAndDtype()
    {
        using var adapter = SafetensorsFile.Open(Path.Combine(_output, "adapter_model.safetensors"));
        var expected = new Dictionary<string, int[]>();
        for (var i = 0; i < Layers; i++)
        {
            var p = $"base_model.model.model.layers.{i}.self_attn.";
            expected[p + "q_proj.lora_A.weight"] = [Rank, Hidden];
            expected[p + "q_proj.lora_B.weight"] = [Hidden, Rank];
            expected[p + "v_proj.lora_A.weight"] = [Rank, Hidden];
            expected[p + "v_proj.lora_B.weight"] = [KvWidth, Rank];
        }
        Assert.That(adapter.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var e in adapter.Entries)
        {
            Assert.That(e.DTypeName, Is.EqualTo("F32"), e.Name);
            Assert.That(e.Shape.Dims.ToArray(), Is.EqualTo(expected[e.Name]), e.Name);
        }
        Assert.That(adapter.Metadata.GetValueOrDefault("format"), Is.EqualTo("pt"), "PEFT saves with metadata {\"format\": \"pt\"}");
    }

    [Test]
    public void AdapterConfigHasPeftsFields()
    {
        var c = Json(Path.Combine(_output, "adapter_config.json"));
        Assert.Multiple(() =>
        {
            Assert.That(c["peft_type"]!.GetValue<string>(), Is.EqualTo("LORA"));
            Assert.That(c["task_type"]!.GetValue<string>(), Is.EqualTo("CAUSAL_LM"));
            Assert.That(c["r"]!.GetValue<int>(), Is.EqualTo(Rank));
            Assert.That(c["lora_alpha"]!.GetValue<double>(), Is.EqualTo(8));
            Assert.That(c["lora_dropout"]!.GetValue<double>(), Is.EqualTo(0.1));
            Assert.That(c["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()), Is.EquivalentTo(new[] { "q_proj", "v_proj" }));
            Assert.That(c["use_rslora"]!.GetValue<bool>(), Is.False);
            Assert.That(c["bias"]!.GetValue<string>(), Is.EqualTo("none"));
            Assert.That(c["base_model_name_or_path"]!.GetValue<string>(), Is.EqualTo(TrainRun.Student));
            Assert.That(c["inference_mode"]!.GetValue<bool>(), Is.True);
        });
    }

    [Test]
    public void AllLinearSavesTheResolvedModuleNames()
    {
        var output = TrainRun.NewOutput("all-linear");
        var (code, stdout, stderr) = TrainRun.Gkd([
            .. TrainRun.Lora(output, maxSteps: 1, _dataset), "--lmbda", "0", "--lora_r", TrainRun.Arg(Rank), "--lora_target_modules", "all-linear",
        ]);
        Assert.That(code, Is.EqualTo(0), stderr + stdout);
        string[] modules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
        var targets = Json(Path.Combine(output, "adapter_config.json"))["target_modules"]!.AsArray().Select(t => t!.GetValue<string>());
        Assert.That(targets, Is.EquivalentTo(modules));
        using var adapter = SafetensorsFile.Open(Path.Combine(output, "adapter_model.safetensors"));
        Assert.That(adapter.Keys, Has.Count.EqualTo(Layers * modules.Length * 2));
        Assert.That(adapter.Keys, Has.Some.EqualTo("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"));
    }

    [Test]
    public void OutputDirHoldsTheCardTheStateTheCurvesAndTheTokenizer()
    {
        var card = File.ReadAllText(Path.Combine(_output, "README.md"));
        Assert.That(card, Does.StartWith("---\n").And.Contain("library_name: peft").And.Contain("- gkd"));
        // A local base model or dataset is named in the text, never in the metadata: the Hub accepts only Hub ids there.
        Assert.That(card, Does.Contain($"`{TrainRun.Student}`").And.Not.Contain("base_model:").And.Not.Contain("datasets:"));
        var state = Json(Path.Combine(_output, "trainer_state.json"));
        Assert.That(state["global_step"]!.GetValue<int>(), Is.EqualTo(4));
        var losses = state["log_history"]!.AsArray().Where(e => e!["loss"] is not null).Select(e => e!["step"]!.GetValue<int>());
        Assert.That(losses, Is.EqualTo(new[] { 1, 2, 3, 4 }));
        var png = File.ReadAllBytes(Path.Combine(_output, "training_curves.png"));
        Assert.That(png.Take(8), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
        foreach (var name in new[] { "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "added_tokens.json" })
            Assert.That(File.ReadAllBytes(Path.Combine(_output, name)), Is.EqualTo(File.ReadAllBytes(Path.Combine(TrainRun.Student, name))), name);
        var args = Json(Path.Combine(_output, "training_args.json"));
        Assert.That(args["max_steps"]!.GetValue<int>(), Is.EqualTo(4));
    }

    [Test]
    public void SaveTotalLimitKeepsTheNewestCompleteCheckpoints()
    {
        // Steps 1–3 are saved (the last step is the final save, not a checkpoint); the limit of 2 drops checkpoint-1.
        Assert.That(TrainRun.CheckpointSteps(_output), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(TrainRun.Hidden(_output), Is.Empty);
        foreach (var step in new[] { 2, 3 })
        {
            var dir = Path.Combine(_output, $"checkpoint-{step}");
            Assert.That(Directory.EnumerateFiles(dir).Select(Path.GetFileName), Is.EquivalentTo(new[]
            {
                "adapter_model.safetensors", "adapter_config.json", "optimizer.safetensors", "scheduler.json", "rng_state.json",
                "trainer_state.json", "training_args.json",
            }));
            Assert.That(TrainRun.LoadCheckpoint(dir).GlobalStep, Is.EqualTo(step));
            Assert.That(Json(Path.Combine(dir, "scheduler.json"))["last_step"]!.GetValue<int>(), Is.EqualTo(step));
            Assert.That(Json(Path.Combine(dir, "rng_state.json"))["global_step"]!.GetValue<int>(), Is.EqualTo(step));
        }
    }

    [Test]
    public void EvalAndGenerateAcceptTheAdapter()
    {
        double EvalLoss(params string[] adapter)
        {
            var dir = TestPaths.TempDir("eval");
            var (code, stdout, stderr) = TrainRun.Gkd([
                "eval", "--model_name_or_path", TrainRun.Student, "--teacher_model_name_or_path", TrainRun.Teacher, "--dataset_name", _dataset,
                "--max_length", "64", "--threads", "2", "--output_dir", dir, .. adapter,
            ]);
            Assert.That(code, Is.EqualTo(0), stderr + stdout);
            return Json(Path.Combine(dir, "eval_results.json"))["eval_loss"]!.GetValue<double>();
        }

        Assert.That(EvalLoss("--adapter", _output), Is.Not.EqualTo(EvalLoss()), "the trained adapter changes the student");
        var generated = TrainRun.Gkd("generate", "--model_name_or_path", TrainRun.Student, "--adapter", _output, "--prompt", "Hi",
            "--max_new_tokens", "4", "--threads", "2");
        Assert.That(generated.Code, Is.EqualTo(0), generated.Err + generated.Out);
    }

    private static JsonObject Json(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();
}

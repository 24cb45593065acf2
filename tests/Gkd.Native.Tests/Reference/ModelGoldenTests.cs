using Gkd.Native.Core.Autograd;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Loss;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Tests.Reference;

/// <summary>
/// Whole tiny Qwen2 checkpoints (tied and untied heads, GQA groups 1, 2, 4, f32 and bf16 files) against PyTorch:
/// logits on a left-padded batch, and the GKD loss with its LoRA gradients.
/// </summary>
public sealed class ModelGoldenTests
{
    private readonly IBackend _cpu = new CpuBackend(2);

    [OneTimeTearDown]
    public void DisposeBackend() => _cpu.Dispose();

    public static Qwen2Model LoadModel(IBackend backend, string name)
    {
        using var checkpoint = HfCheckpoint.Open(TestPaths.Golden("models", name));
        return Qwen2Model.Load(checkpoint, backend);
    }

    private static int[] StartsFromMask(int[] mask, int batch, int time)
    {
        var start = new int[batch];
        for (var b = 0; b < batch; b++)
            while (start[b] < time && mask[b * time + start[b]] == 0) start[b]++;
        return start;
    }

    [TestCase("student-g1-tied-f32")]
    [TestCase("student-g2-untied-f32")]
    [TestCase("student-g4-tied-bf16")]
    [TestCase("teacher-g2-untied-f32")]
    public void LogitsOnLeftPaddedBatch(string name)
    {
        using var g = new GoldenFile("models", "forward.safetensors");
        var ids = g.I32("input_ids");
        var mask = g.I32("attention_mask");
        var (batch, time) = (g.ShapeOf("input_ids")[0], g.ShapeOf("input_ids")[1]);
        var start = StartsFromMask(mask, batch, time);
        using var model = LoadModel(_cpu, name);
        using var input = ModelInput.Create(_cpu, ids, start, time);
        using var hidden = model.Forward(Tape.NoGrad, input);                                   // (B·T, C)
        using var logits = _cpu.Allocate(new Shape(batch * time, model.Config.VocabSize), DType.F32); // (B·T, V)
        _cpu.Matmul(logits, hidden, model.LmHead, false, true, 1f, 0f);
        var actual = logits.ToFloatArray();
        var expected = g.F32($"logits.{name}");
        var v = model.Config.VocabSize;
        for (var i = 0; i < batch * time; i++)
            if (mask[i] == 0) Array.Clear(actual, i * v, v);  // pad rows: PyTorch's are zeroed too
        Close.Assert(actual, expected, Close.F32, $"logits of {name}");
    }

    private static ChatBatch BatchOf(GoldenFile g)
    {
        var ids = g.I32("input_ids");
        var mask = g.I32("attention_mask");
        var labels = g.I32("labels");
        var (batch, time) = (g.ShapeOf("input_ids")[0], g.ShapeOf("input_ids")[1]);
        var start = StartsFromMask(mask, batch, time);
        return new ChatBatch
        {
            B = batch, T = time, InputIds = ids, AttentionMask = mask, Labels = labels, Start = start,
            PromptT = 0, PromptIds = [], PromptStart = new int[batch], PromptLength = new int[batch],
            CompletionTokenCount = CompletionRows.FromLabels(labels, batch, time).Length,
        };
    }

    [TestCase("0")]
    [TestCase("0.1")]
    [TestCase("0.5")]
    [TestCase("0.9")]
    [TestCase("1")]
    public void GkdLossWithLoraAdapter(string beta)
    {
        using var g = new GoldenFile("models", "lora_grads.safetensors");
        using var student = LoadModel(_cpu, "student-g2-untied-f32");
        using var teacher = LoadModel(_cpu, "teacher-g2-untied-f32");
        LoraAdapter.Load(student, TestPaths.Golden("models", "lora-adapter"));
        var objective = new DistillObjective(student, teacher, double.Parse(beta, System.Globalization.CultureInfo.InvariantCulture));
        var batch = BatchOf(g);
        var (sum, tokens) = objective.Run(batch, train: false);
        Assert.That(sum / tokens, Is.EqualTo(g.F32($"loss.beta{beta}")[0]).Within(1e-3).Percent);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void LoraGradientsOfGkdLoss(bool checkpointing)
    {
        using var g = new GoldenFile("models", "lora_grads.safetensors");
        using var student = LoadModel(_cpu, "student-g2-untied-f32");
        using var teacher = LoadModel(_cpu, "teacher-g2-untied-f32");
        LoraAdapter.Load(student, TestPaths.Golden("models", "lora-adapter"));
        student.GradientCheckpointing = checkpointing;
        var batch = BatchOf(g);
        var objective = new DistillObjective(student, teacher, 0.5);
        var (sum, tokens) = objective.Run(batch, train: true, gradScale: 1f / batch.CompletionTokenCount);
        Assert.That(sum / tokens, Is.EqualTo(g.F32("loss.beta0.5")[0]).Within(1e-3).Percent);
        var parameters = LoraAdapter.Parameters(student).ToArray();
        Assert.That(parameters, Has.Length.EqualTo(8));
        foreach (var (key, tensor) in parameters)
            Close.Assert(tensor.Grad!.ToFloatArray(), g.F32("grad." + key), Close.F32, key);
    }
}

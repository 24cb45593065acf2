using System.Runtime.InteropServices;
using Gkd.Native.Core.IO;
using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Tests.Trainer;

/// <summary>
/// A NaN or infinity stops the run with exit code 1 and a message naming the optimizer step, the micro-batch and
/// the model that produced it; the checkpoints written before that step stay complete and loadable, and nothing of
/// the failed step is saved.
/// </summary>
public sealed class NonFiniteTests
{
    [Test]
    public void ExplodingStudentIsNamedAndTheLastCheckpointSurvives()
    {
        // AdamW moves each lora_B entry by lr / (1 − β1) = 1e38 in step 1: finite weights, but the student's
        // activations overflow in step 2.
        var output = TrainRun.NewOutput("explode");
        var (code, stdout, stderr) = TrainRun.Gkd([
            .. TrainRun.Lora(output, maxSteps: 4), "--lmbda", "0", "--save_steps", "1", "--learning_rate", "1e37", "--max_grad_norm", "0",
        ]);
        Assert.That(code, Is.EqualTo(1), stderr + stdout);
        Assert.That(stderr, Does.Contain("non-finite loss at optimizer step 2, micro-batch 0: produced by the student"));
        AssertOnlyCheckpoint(output, 1);
    }

    /// <param name="maxSteps">2: the update would go into checkpoint-1; 1: into the final adapter.</param>
    [TestCase(2)]
    [TestCase(1)]
    public void OverflowingUpdateIsNeverSaved(int maxSteps)
    {
        // At lr 1e38 the first AdamW step size, lr / (1 − β1), overflows f32: lora_A (zero gradient) becomes ∞ · 0 = NaN
        // although the loss and the gradients were finite.
        var output = TrainRun.NewOutput("overflow");
        var (code, stdout, stderr) = TrainRun.Gkd([
            .. TrainRun.Lora(output, maxSteps), "--lmbda", "0", "--save_steps", "1", "--learning_rate", "1e38", "--max_grad_norm", "0",
        ]);
        Assert.That(code, Is.EqualTo(1), stderr + stdout);
        Assert.That(stderr, Does.Contain("non-finite weights at optimizer step 1, micro-batch 0: produced by the student's optimizer update"));
        Assert.That(Directory.Exists(output) ? Directory.EnumerateFileSystemEntries(output).ToArray() : [], Is.Empty);
    }

    [Test]
    public void PoisonedTeacherIsNamedWithTheMicroBatchThatMetThePoison()
    {
        // One row per micro-batch, two micro-batches per step: epoch position 3 is step 2's micro-batch 1. The teacher's
        // embedding of a token only that row holds is NaN, so steps before it are clean and step 2 fails there.
        var dataset = TrainRun.Dataset(0, 6);
        var collator = new ChatCollator(BpeChatTokenizer.Load(TrainRun.Student), maxLength: 64);
        var rows = DatasetLoader.LoadAsync(dataset).GetAwaiter().GetResult().Examples.Select(collator.Tokenize).ToArray();
        var target = new EpochBatchIterator(rows, collator, batchSize: 1, seed: 42).EpochOrder(0)[3];
        var others = rows.Where((_, i) => i != target).SelectMany(r => r.PromptIds.Concat(r.CompletionIds)).ToHashSet();
        var token = rows[target].PromptIds.Concat(rows[target].CompletionIds).First(t => !others.Contains(t));
        var teacher = Poisoned(TrainRun.Teacher, "model.embed_tokens.weight", row: token);

        var output = TrainRun.NewOutput("teacher-nan");
        var (code, stdout, stderr) = TrainRun.Gkd([
            .. TrainRun.Lora(output, maxSteps: 3, dataset), "--teacher_model_name_or_path", teacher, "--lmbda", "0", "--save_steps", "1",
            "--per_device_train_batch_size", "1", "--gradient_accumulation_steps", "2", "--seed", "42",
        ]);
        Assert.That(code, Is.EqualTo(1), stderr + stdout);
        Assert.That(stderr, Does.Contain("non-finite loss at optimizer step 2, micro-batch 1: produced by the teacher"));
        AssertOnlyCheckpoint(output, 1);
    }

    [Test]
    public void PoisonedStudentIsNamedWhenItsSamplesCannotBeDrawn()
    {
        var student = Poisoned(TrainRun.Student, "lm_head.weight", row: 5);
        var output = TrainRun.NewOutput("student-nan");
        var (code, stdout, stderr) = TrainRun.Gkd([
            .. TrainRun.Lora(output, maxSteps: 2), "--model_name_or_path", student, "--lmbda", "1", "--max_new_tokens", "4",
        ]);
        Assert.That(code, Is.EqualTo(1), stderr + stdout);
        Assert.That(stderr, Does.Match("non-finite .* at optimizer step 1, micro-batch 0: produced by the student"));
        Assert.That(Directory.Exists(output), Is.False, "nothing is saved from a run that failed in its first step");
    }

    /// <summary>checkpoint-step is the only checkpoint, complete and finite; no final save, no temporaries.</summary>
    private static void AssertOnlyCheckpoint(string output, int step)
    {
        Assert.That(TrainRun.CheckpointSteps(output), Is.EqualTo(new[] { step }));
        var dir = Path.Combine(output, $"checkpoint-{step}");
        Assert.That(TrainRun.LoadCheckpoint(dir).GlobalStep, Is.EqualTo(step));
        using var adapter = SafetensorsFile.Open(Path.Combine(dir, "adapter_model.safetensors"));
        foreach (var key in adapter.Keys)
            Assert.That(MemoryMarshal.Cast<byte, float>(adapter.Bytes(adapter.Entry(key))).ToArray(), Has.All.Matches<float>(float.IsFinite), key);
        Assert.That(File.Exists(Path.Combine(output, "adapter_model.safetensors")), Is.False, "the failed run saved a final adapter");
        Assert.That(TrainRun.Hidden(output), Is.Empty);
    }

    /// <summary>A copy of a checkpoint directory whose weight <paramref name="key"/> has NaN in the given row.</summary>
    private static string Poisoned(string modelDir, string key, int row)
    {
        var dir = TestPaths.TempDir("poisoned");
        foreach (var f in Directory.EnumerateFiles(modelDir)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        var path = Path.Combine(dir, "model.safetensors");
        var writer = new SafetensorsWriter();
        using (var file = SafetensorsFile.Open(Path.Combine(modelDir, "model.safetensors")))
        {
            foreach (var (k, v) in file.Metadata) writer.AddMetadata(k, v);
            foreach (var e in file.Entries)
            {
                var bytes = file.Bytes(e).ToArray();
                if (e.Name == key) MemoryMarshal.Cast<byte, float>(bytes.AsSpan())[row * e.Shape[-1]] = float.NaN;
                writer.Add(e.Name, e.DType, e.Shape, bytes);
            }
        }
        writer.Save(path);
        return dir;
    }
}

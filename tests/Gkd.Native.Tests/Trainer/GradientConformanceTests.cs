using Gkd.Native.Core.IO;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Trainer;

/// <summary>
/// The gradient of one training step through the public CLI equals PyTorch's: with SGD at learning rate 1 from an
/// adapter whose B is zero, lora_B after one step is −∇B of the GKD loss (train_step.safetensors from make_golden.py).
/// </summary>
public sealed class GradientConformanceTests
{
    [Test]
    public void OneSgdStepMovesLoraBByMinusTheTorchGradient()
    {
        var output = Path.Combine(TestPaths.TempDir("sgd"), "out");
        var (code, stdout, stderr) = TrainRun.Gkd([
            .. TrainRun.Base(TrainRun.Dataset(0, 2), output),
            "--adapter", TestPaths.Golden("models", "lora-init"), "--optim", "sgd", "--learning_rate", "1", "--max_steps", "1",
            "--lmbda", "0", "--max_grad_norm", "0", "--lora_dropout", "0", "--per_device_train_batch_size", "2", "--beta", "0.5",
        ]);
        Assert.That(code, Is.EqualTo(0), stderr + stdout);
        using var golden = new GoldenFile("train_step.safetensors");
        using var trained = SafetensorsFile.Open(Path.Combine(output, "adapter_model.safetensors"));
        using var init = SafetensorsFile.Open(TestPaths.Golden("models", "lora-init", "adapter_model.safetensors"));
        Assert.That(trained.Keys, Has.Count.EqualTo(8));
        foreach (var key in trained.Keys)
        {
            var after = TrainRun.Floats(trained, key);
            var before = TrainRun.Floats(init, key);
            var grad = golden.F32("grad." + key);
            var expected = before.Select((b, i) => b - grad[i]).ToArray();
            Close.Assert(after, expected, Close.F32, key);
        }
    }

    [Test]
    public void GradientAccumulationFourByOneEqualsOneByFour()
    {
        string Run(int batch, int accumulation)
        {
            var output = Path.Combine(TestPaths.TempDir("accum"), "out");
            var (code, stdout, stderr) = TrainRun.Gkd([
                .. TrainRun.Base(TrainRun.Dataset(0, 4), output),
                "--adapter", TestPaths.Golden("models", "lora-init"), "--optim", "sgd", "--learning_rate", "1", "--max_steps", "1",
                "--lmbda", "0", "--max_grad_norm", "0", "--per_device_train_batch_size", batch.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--gradient_accumulation_steps", accumulation.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ]);
            Assert.That(code, Is.EqualTo(0), stderr + stdout);
            return output;
        }

        using var one = SafetensorsFile.Open(Path.Combine(Run(4, 1), "adapter_model.safetensors"));
        using var four = SafetensorsFile.Open(Path.Combine(Run(1, 4), "adapter_model.safetensors"));
        foreach (var key in one.Keys) Close.Assert(TrainRun.Floats(four, key), TrainRun.Floats(one, key), Close.F32, key);
    }
}

using System.Text.Json.Nodes;
using Gkd.Native.Cli;
using Gkd.Native.Cli.Commands;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using Gkd.Native.Tests.Support;
using Gkd.Native.Tests.Trainer;

namespace Gkd.Native.Tests.Cuda;

/// <summary>
/// Whole GKD optimizer steps through <c>gkd train</c> — student and teacher forward, fused head + JSD, backward into
/// LoRA, global-norm clipping, the update — on the CUDA backend (f32 activations, emulated runtime: every kernel
/// launched as on the GPU, cuBLAS replaced by the CPU GEMM) equal the CPU backend's to f32 tolerance. The update is
/// SGD: AdamW's first steps divide each gradient element by its own magnitude, which turns a 1e-7 difference in a
/// near-zero element into a full learning-rate step (the AdamW kernel has its own parity tests).
/// </summary>
[Category("KernelEmulation")]
public sealed class EmulatedTrainStepTests
{
    [TestCase(0.0, TestName = "OffPolicySteps_EqualTheCpu")]
    [TestCase(1.0, TestName = "OnPolicySteps_EqualTheCpu")]
    public void TwoOptimizerSteps_EqualTheCpu(double lmbda)
    {
        var dataset = TrainRun.Dataset(0, 4);
        var cpu = Train(dataset, lmbda, () => new CpuBackend(2));
        var cuda = Train(dataset, lmbda, () => BackendPair.Emulated(DType.F32));

        using var expected = SafetensorsFile.Open(Path.Combine(cpu, "adapter_model.safetensors"));
        using var actual = SafetensorsFile.Open(Path.Combine(cuda, "adapter_model.safetensors"));
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var key in expected.Keys) Close.Assert(TrainRun.Floats(actual, key), TrainRun.Floats(expected, key), Close.F32, key);

        var (cpuLosses, cudaLosses) = (Losses(cpu), Losses(cuda));
        Assert.That(cpuLosses, Has.Length.EqualTo(2));
        Close.Assert(cudaLosses, cpuLosses, Close.F32, "logged loss per step");
    }

    /// <summary>Two steps of two rows from the golden LoRA adapter; returns the output directory.</summary>
    private static string Train(string dataset, double lmbda, Func<IBackend> backend)
    {
        var output = Path.Combine(TestPaths.TempDir("emulated-step"), "out");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] args =
        [
            .. TrainRun.Base(dataset, output),
            "--adapter", TestPaths.Golden("models", "lora-init"), "--optim", "sgd", "--learning_rate", "0.5", "--max_steps", "2",
            "--per_device_train_batch_size", "2", "--lmbda", lmbda.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--max_new_tokens", "6", "--lora_dropout", "0", "--logging_steps", "1", "--max_grad_norm", "0.5",
        ];
        var code = Program.Run(args, stdout, stderr, [new TrainCommand(_ => backend())]);
        Assert.That(code, Is.EqualTo(0), stderr.ToString() + stdout);
        return output;
    }

    private static float[] Losses(string output) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(output, "trainer_state.json")))!["log_history"]!.AsArray()
            .Where(e => e!["loss"] is not null).Select(e => (float)e!["loss"]!.GetValue<double>()).ToArray();
}

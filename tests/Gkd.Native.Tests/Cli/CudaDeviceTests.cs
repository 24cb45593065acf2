using System.Diagnostics;
using Gkd.Native.Cli;
using Gkd.Native.Cuda.Interop;
using Gkd.Native.Cuda.Runtime;
using Gkd.Native.Tests.Support;
using Gkd.Native.Tests.Trainer;

namespace Gkd.Native.Tests.Cli;

/// <summary>
/// <c>--device cuda</c> on a machine without a GPU: train and eval fail at once (before loading models or data) with
/// the resolver's list of what it tried, exit 1, and leave the output directory untouched. On a machine whose CUDA
/// driver loads, these tests are ignored, not passed.
/// </summary>
public sealed class CudaDeviceTests
{
    [SetUp]
    public void RequireNoDriver()
    {
        try
        {
            using var runtime = CudaDriverRuntime.Create();
            Assert.Ignore($"this machine has a working GPU: {runtime.Info}");
        }
        catch (CudaUnavailableException)
        {
            if (LibraryResolver.Shared.IsLoaded(CudaLibrary.Driver)) Assert.Ignore("a CUDA driver loads here");
        }
    }

    [Test]
    public void Train_FailsAtOnceNamingWhatWasTried()
    {
        var output = Path.Combine(TestPaths.TempDir("cuda-train"), "out");
        AssertFailsAtOnce([.. TrainRun.Base(TrainRun.Dataset(0, 2), output), "--device", "cuda"]);
        Assert.That(Directory.Exists(output), Is.False, "nothing written");
    }

    [Test]
    public void Eval_FailsAtOnceNamingWhatWasTried()
    {
        var output = Path.Combine(TestPaths.TempDir("cuda-eval"), "out");
        AssertFailsAtOnce([
            "eval", "--model_name_or_path", TrainRun.Student, "--teacher_model_name_or_path", TrainRun.Teacher,
            "--dataset_name", TrainRun.Dataset(0, 2), "--dataset_test_split", "train", "--output_dir", output, "--device", "cuda",
        ]);
        Assert.That(Directory.Exists(output), Is.False, "nothing written");
    }

    private static void AssertFailsAtOnce(string[] args)
    {
        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) = TrainRun.Gkd(args);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(1), stdout);
            Assert.That(stderr, Does.StartWith("error: the CUDA driver (libcuda.so.1) could not be loaded"));
            Assert.That(stderr, Does.Contain("libcuda.so.1, libcuda.so").And.Contain("LD_LIBRARY_PATH"));
            Assert.That(stdout, Does.Not.Contain("train:").And.Not.Contain("eval:"), "failed before loading the data");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        });
    }
}

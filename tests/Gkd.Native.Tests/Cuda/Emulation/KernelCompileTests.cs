using System.Diagnostics;
using Gkd.Native.Cuda.Runtime;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Emulation;

/// <summary>
/// The clang check: every kernel file (and the emulation probe), composed as NVRTC receives it, compiles with
/// clang-14's CUDA front end to PTX for sm_80 — build.ps1's `kernels` command, without CUDA headers.
/// </summary>
[Category("KernelCompile")]
public sealed class KernelCompileTests
{
    private static IEnumerable<TestCaseData> KernelFiles() =>
        KernelLibrary.Names.Select(n => new TestCaseData(n).SetName($"CompilesToPtx({n})"))
            .Append(new TestCaseData("emulation_probe").SetName("CompilesToPtx(emulation_probe)"));

    [TestCaseSource(nameof(KernelFiles))]
    public void CompilesToPtx(string kernel)
    {
        var source = kernel == "emulation_probe" ? ProbeKernels.Source : KernelLibrary.Get(kernel);
        var directory = TestPaths.TempDir("clang-ptx");
        try
        {
            var input = Path.Combine(directory, $"{kernel}.cu");
            var ptx = Path.Combine(directory, $"{kernel}.ptx");
            File.WriteAllText(input, source.Text);
            var (exitCode, log) = Clang("--cuda-device-only", "-nocudainc", "-nocudalib", "--cuda-gpu-arch=sm_80", "-S", "-x", "cuda",
                "-include", Path.Combine(TestPaths.RepoRoot, "kernels", "prelude.h"), "-o", ptx, input);
            Assert.That(exitCode, Is.Zero, $"clang-14 failed on {kernel}.cu:\n{log}");
            var text = File.ReadAllText(ptx);
            foreach (var function in EmulationBuild.KernelNames(source.Text))
                Assert.That(text, Does.Contain($".entry {function}("), $"{kernel}.cu: PTX entry for {function}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static (int ExitCode, string Log) Clang(params string[] arguments)
    {
        var start = new ProcessStartInfo("clang-14") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"clang-14 is needed for the kernel PTX check and could not be run: {e.Message}");
            throw;
        }
    }
}

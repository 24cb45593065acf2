using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gkd.Native.Cli.Bench;
using Gkd.Native.Cli.Options;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using Gkd.Native.Cuda;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cli.Commands;

/// <summary>
/// <c>gkd bench</c>: the one-call GPU check. probe (driver, NVRTC, cuBLAS, card), parity (every op on the device
/// against the CPU reference), timing (kernels and GEMMs at the seed's shapes). Writes summary.md and results.tsv to
/// --out and prints the summary. <c>--runtime emulation</c> runs the same suites on the CPU emulation of CUDA, to
/// check the harness itself without a GPU (its timings mean nothing).
/// </summary>
public sealed class BenchCommand : ICommand
{
    public string Name => "bench";
    public string Summary => "GPU check: probe the CUDA stack, check every kernel against the CPU, time kernels and GEMMs.";

    public OptionSet Options { get; } = new OptionSet()
        .List("suites", ["probe", "parity", "timing"], "Which suites: probe, parity, timing.")
        .Enum("runtime", "gpu", ["gpu", "emulation"], "Run kernels on the GPU, or on the CPU emulation of CUDA (harness check).")
        .Enum("activations", "bf16", ["bf16", "f32"], "Activation dtype of the CUDA backend.")
        .String("out", null, "Directory for summary.md and results.tsv.")
        .Int("threads", 0, "CPU threads of the reference backend (0 = all cores).");

    public int Run(ParsedOptions o, TextWriter output)
    {
        var suites = o.Get<IReadOnlyList<string>>("suites").SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        var unknown = suites.Except(["probe", "parity", "timing"]).ToArray();
        if (unknown.Length > 0) throw new UsageException($"--suites: unknown {string.Join(", ", unknown)} (probe, parity, timing)");
        var summary = new StringBuilder();
        var tsv = new StringBuilder("suite\tname\tvalue\tunit\tstatus\n");
        void Line(string s)
        {
            summary.AppendLine(s);
            output.WriteLine(s);
            output.Flush();
        }

        using IKernelRuntime runtime = o.Get<string>("runtime") == "gpu" ? CudaDriverRuntime.Create() : new EmulatedRuntime();
        var activations = o.Get<string>("activations") == "f32" ? DType.F32 : DType.BF16;
        using var device = new CudaBackend(runtime, activations);
        using var cpu = new CpuBackend(o.Get<int>("threads"));
        var failures = 0;
        Line($"# gkd bench — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Line("");
        if (suites.Contains("probe"))
        {
            Line("## probe");
            Line($"- runtime: {runtime.Description}");
            if (runtime is CudaDriverRuntime gpu)
            {
                Line($"- device: {gpu.Info}".Replace("\n", "; "));
                Line($"- NVRTC target: {gpu.Target}; kernel cache: {gpu.KernelCacheDirectory}");
            }
            var sw = Stopwatch.StartNew();
            foreach (var name in KernelLibrary.Names) runtime.LoadModule(KernelLibrary.Get(name)).Dispose();
            Line($"- compiled and loaded {KernelLibrary.Names.Count} kernel files ({string.Join(", ", KernelLibrary.Names)}) in {sw.Elapsed.TotalSeconds:F1} s");
            Line("");
        }
        if (suites.Contains("parity"))
        {
            Line($"## parity against the CPU reference ({activations} activations, f32 math)");
            Line("| op | max rel. error | tolerance | result |\n| --- | ---: | ---: | --- |");
            foreach (var r in ParityChecks.Run(device, cpu))
            {
                if (!r.Passed) failures++;
                Line(string.Create(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Error:E2} | {r.Tolerance:E0} | {(r.Passed ? "pass" : "FAIL " + r.Failure)} |"));
                tsv.Append(CultureInfo.InvariantCulture, $"parity\t{r.Name}\t{r.Error:E3}\trel\t{(r.Passed ? "pass" : "fail")}\n");
            }
            Line("");
        }
        if (suites.Contains("timing"))
        {
            Func<Action, float> time = runtime is CudaDriverRuntime g ? g.ElapsedMilliseconds : work =>
            {
                var sw = Stopwatch.StartNew();
                work();
                runtime.Synchronize();
                return (float)sw.Elapsed.TotalMilliseconds;
            };
            Line($"## timing ({activations} activations; median of 7)");
            Line("| kernel | ms | GB/s | TFLOP/s |\n| --- | ---: | ---: | ---: |");
            foreach (var t in KernelTimings.Run(device, time))
            {
                Line(string.Create(CultureInfo.InvariantCulture, $"| {t.Name} | {t.Milliseconds:F3} | {t.GigabytesPerSecond?.ToString("F0", CultureInfo.InvariantCulture) ?? ""} | {t.TeraflopsPerSecond?.ToString("F1", CultureInfo.InvariantCulture) ?? ""} |"));
                tsv.Append(CultureInfo.InvariantCulture, $"timing\t{t.Name}\t{t.Milliseconds:F4}\tms\tok\n");
            }
            Line("");
        }
        Line(failures == 0 ? "all checks passed" : $"{failures} check(s) FAILED");
        if (o.TryGet<string>("out", out var outDir))
        {
            Directory.CreateDirectory(outDir);
            File.WriteAllText(Path.Combine(outDir, "summary.md"), summary.ToString());
            File.WriteAllText(Path.Combine(outDir, "results.tsv"), tsv.ToString());
        }
        return failures == 0 ? 0 : 1;
    }
}

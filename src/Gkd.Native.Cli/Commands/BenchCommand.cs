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
/// against the CPU reference, and two whole tiny GKD steps), timing (kernels and GEMMs at the seed's shapes), step (the
/// seed-shaped optimizer step, decode against its memory floor), memory (activation memory without and with gradient
/// checkpointing). Writes summary.md and results.tsv to --out and prints the summary. <c>--runtime emulation</c> runs
/// the same suites on the CPU emulation of CUDA, to check the harness itself without a GPU (its timings mean nothing;
/// its memory accounting is exact).
/// </summary>
public sealed class BenchCommand : ICommand
{
    public string Name => "bench";
    public string Summary => "GPU check: probe the CUDA stack, check every kernel against the CPU, time kernels and GEMMs.";

    public OptionSet Options { get; } = new OptionSet()
        .List("suites", ["probe", "parity", "timing", "step", "memory"], "Which suites: probe, parity, timing, step, memory.")
        .Enum("runtime", "gpu", ["gpu", "emulation"], "Run kernels on the GPU, or on the CPU emulation of CUDA (harness check).")
        .Enum("activations", "bf16", ["bf16", "f32"], "Activation dtype of the CUDA backend.")
        .String("out", null, "Directory for summary.md and results.tsv.")
        .Int("threads", 0, "CPU threads of the reference backend (0 = all cores).")
        .Bool("tiny_step", false, "Run the step and memory suites on tiny models (a harness check, e.g. under emulation).")
        .Float("copy_gbps", 4089, "Measured device copy bandwidth for the decode memory floor (the timing suite measures it).");

    public int Run(ParsedOptions o, TextWriter output)
    {
        var suites = o.Get<IReadOnlyList<string>>("suites").SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        var unknown = suites.Except(["probe", "parity", "timing", "step", "memory"]).ToArray();
        if (unknown.Length > 0) throw new UsageException($"--suites: unknown {string.Join(", ", unknown)} (probe, parity, timing, step, memory)");
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
        if (suites.Contains("step"))
        {
            Line("## seed-shaped GKD optimizer step (random Qwen2-0.5B + LoRA r64 q/v, random Qwen2-1.5B teacher, bf16)");
            var peak = runtime is CudaDriverRuntime pg ? () => pg.PeakAllocatedBytes() ?? device.Arena.PeakReserved : (Func<long>)(() => device.Arena.PeakReserved);
            var r = StepBench.Run(device, peak, TextWriter.Null, tiny: o.Get<bool>("tiny_step"));
            var copy = o.Get<double>("copy_gbps");
            Line(string.Create(CultureInfo.InvariantCulture, $"- seconds per optimizer step (median of {r.StepSeconds.Length} after a warm-up): {r.SecondsPerStep:F3} ({string.Join(", ", r.StepSeconds.Select(s => s.ToString("F3", CultureInfo.InvariantCulture)))}); seed {r.Seed} (4 of 8 micro-batches on-policy per step)"));
            Line(string.Create(CultureInfo.InvariantCulture, $"- tokens/s (prompt + completion tokens through both models): {r.TokensPerSecond:F0}"));
            Line(string.Create(CultureInfo.InvariantCulture, $"- peak device memory: {r.PeakBytes / (double)(1 << 30):F2} GiB (arena peak {device.Arena.PeakReserved / (double)(1 << 30):F2} GiB)"));
            Line(string.Create(CultureInfo.InvariantCulture, $"- decode (student, batch 4, 128 new tokens): {r.DecodeMsPerToken:F3} ms per token step; memory floor {r.StudentWeightBytes / 1e9:F2} GB / {copy:F0} GB/s = {r.StudentWeightBytes / (copy * 1e9) * 1e3:F3} ms ({r.DecodeMsPerToken / (r.StudentWeightBytes / (copy * 1e9) * 1e3):F1}× the floor)"));
            tsv.Append(CultureInfo.InvariantCulture, $"step\tseconds_per_step\t{r.SecondsPerStep:F4}\ts\tok\nstep\tpeak_memory\t{r.PeakBytes}\tbytes\tok\nstep\tdecode_ms_per_token\t{r.DecodeMsPerToken:F4}\tms\tok\n");
            Line("");
        }
        if (suites.Contains("memory"))
        {
            Line("## activation memory of one student micro-batch, without and with gradient checkpointing");
            var (student, length) = o.Get<bool>("tiny_step") ? (SeedShapes.TinyStudent, 18) : (SeedShapes.Student, 384);
            foreach (var m in CheckpointingMemory.Run(device, student, 4, length))
            {
                var mode = m.Checkpointing ? "with" : "without";
                Line(string.Create(CultureInfo.InvariantCulture, $"- Qwen2 C {student.HiddenSize} L {student.NumHiddenLayers} + LoRA, B 4, T {length}, {mode} checkpointing: the tape holds {m.Retained / (double)(1 << 20):F1} MiB after the forward; in-use peak through the backward {m.Peak / (double)(1 << 20):F1} MiB"));
                tsv.Append(CultureInfo.InvariantCulture, $"step\tactivations_{mode}_checkpointing\t{m.Retained}\tbytes\tok\nstep\tbackward_peak_{mode}_checkpointing\t{m.Peak}\tbytes\tok\n");
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

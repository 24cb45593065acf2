using System.Diagnostics;
using Gkd.Native.Cpu;
using Gkd.Native.Training.Generation;

namespace Gkd.Native.Bench;

/// <summary>
/// `generate`: Generator (prefill + KV-cache decode, temperature sampling, top-k 0, top-p 1) on --batch prompts of
/// exactly --prompt-len tokens, --new tokens each (no EOS, so every run makes batch × new tokens). One warm-up call,
/// then --runs timed calls. Prints `RUN i seconds tokens/s prefill_s load` and `RESULT generate median_s tokens/s
/// prefill_s decode_ms_per_step`. --dump FILE writes the prompts for bench/peers/generate_torch.py (and --runs 0
/// stops there); --sync 1 paces the calls by stdin (see <see cref="Turns"/>).
/// </summary>
public static class GenerateTiming
{
    public static int Run(string[] args)
    {
        var o = new BenchOptions(args);
        var root = o.String("root", "/tmp/gkd-cpubench");
        var modelDir = o.String("model", Path.Combine(root, "student"));
        var dataset = o.String("dataset", Path.Combine(root, "chat"));
        var batch = o.Int("batch", 4);
        var promptLength = o.Int("prompt-len", 128);
        var maxNew = o.Int("new", 64);
        var temperature = (float)o.Double("temperature", 0.9);
        var threads = o.Int("threads", 2);
        var runs = o.Int("runs", 5);
        var dump = o.OptionalString("dump");
        var profile = o.Int("profile", 0) != 0;
        var sync = o.Int("sync", 0) != 0;
        o.CheckAllRead();

        var tokenizer = Workload.Tokenizer(modelDir);
        var rows = Workload.FixedRows(tokenizer, dataset, batch, promptLength, 1);
        if (dump is not null) Workload.DumpRows(dump, rows);
        if (runs == 0) return 0; // the dump only
        var prompts = PromptBatch.LeftPad(rows.Select(r => r.PromptIds).ToArray(), tokenizer.PadTokenId);
        var options = new GenerationOptions
        {
            MaxNewTokens = maxNew, Temperature = temperature, TopK = 0, TopP = 1f, EosTokenIds = [], PadTokenId = tokenizer.PadTokenId,
        };
        Console.WriteLine($"generate: {modelDir}, batch {batch}, prompt {promptLength}, {maxNew} new tokens, temperature {temperature}, {threads} threads");

        using var backend = new CpuBackend(threads);
        using var model = Workload.LoadModel(backend, modelDir);
        var generator = new Generator(model);
        generator.Generate(prompts, options, seed: 1000);
        if (profile) GenerateProfile.Print(backend, model, prompts, maxNew, temperature);
        var seconds = new List<double>();
        var prefill = new List<double>();
        foreach (var r in Turns.Of(runs, sync))
        {
            var load = Workload.LoadAverage();
            var sw = Stopwatch.StartNew();
            var result = generator.Generate(prompts, options, seed: (ulong)r);
            var s = Workload.Seconds(sw);
            if (result.NewTokens != maxNew) throw new InvalidOperationException($"generated {result.NewTokens} steps, wanted {maxNew}");
            seconds.Add(s);
            prefill.Add(result.PrefillElapsed.TotalSeconds);
            Console.WriteLine($"RUN {r} {Workload.F(s)} {Workload.F(batch * maxNew / s, 1)} {Workload.F(result.PrefillElapsed.TotalSeconds)} {load}");
        }
        var median = Workload.Median(seconds);
        var medianPrefill = Workload.Median(prefill);
        Console.WriteLine($"RESULT generate {Workload.F(median)} {Workload.F(batch * maxNew / median, 1)} {Workload.F(medianPrefill)} {Workload.F(1000 * (median - medianPrefill) / Math.Max(1, maxNew - 1), 2)}");
        return 0;
    }
}

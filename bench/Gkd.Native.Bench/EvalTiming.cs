using Gkd.Native.Cpu;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Evaluation;
using Gkd.Native.Training.Loss;

namespace Gkd.Native.Bench;

/// <summary>
/// `eval`: what `gkd eval` times (DistillEvaluator over the collated test split: teacher and student forward, the
/// fused LM heads + generalized JSD on the completion rows), one warm-up batch, then --runs full passes.
/// Prints `RUN i seconds tokens/s eval_loss load` per pass and `RESULT eval median_s tokens/s eval_loss`, where
/// tokens are the completion tokens (eval_tokens, the numerator of eval_tokens_per_second).
/// --dump FILE writes the batches for bench/peers/eval_torch.py (and --runs 0 stops there); --profile 1 first prints
/// a per-phase breakdown; --sync 1 paces the passes by stdin (see <see cref="Turns"/>).
/// </summary>
public static class EvalTiming
{
    public static int Run(string[] args)
    {
        var o = new BenchOptions(args);
        var root = o.String("root", "/tmp/gkd-cpubench");
        var studentDir = o.String("student", Path.Combine(root, "student"));
        var teacherDir = o.String("teacher", Path.Combine(root, "teacher"));
        var dataset = o.String("dataset", Path.Combine(root, "chat"));
        var split = o.String("split", "test");
        var batchSize = o.Int("batch", 4);
        var maxLength = o.Int("max-length", 256);
        var beta = o.Double("beta", 0.5);
        var threads = o.Int("threads", 2);
        var runs = o.Int("runs", 3);
        var dump = o.OptionalString("dump");
        var profile = o.Int("profile", 0) != 0;
        var sync = o.Int("sync", 0) != 0;
        o.CheckAllRead();

        var tokenizer = Workload.Tokenizer(studentDir);
        var collator = new ChatCollator(tokenizer, maxLength);
        var batches = Workload.Tokenize(collator, dataset, split).Chunk(batchSize).Select(collator.Collate).ToArray();
        var completion = batches.Sum(b => b.CompletionTokenCount);
        Console.WriteLine($"eval: {batches.Length} batches of ≤ {batchSize} (max_length {maxLength}), {batches.Sum(b => b.B * b.T)} tokens, {completion} completion tokens, {threads} threads");
        if (dump is not null)
            Workload.DumpBatches(dump, batches, new Dictionary<string, double> { ["beta"] = beta, ["max_length"] = maxLength });
        if (runs == 0) return 0; // the dump only

        using var backend = new CpuBackend(threads);
        using var student = Workload.LoadModel(backend, studentDir);
        using var teacher = Workload.LoadModel(backend, teacherDir);
        var evaluator = new DistillEvaluator(new DistillObjective(student, teacher, beta));
        evaluator.Evaluate(batches[..1]); // warm-up: JIT and first-touch of the weights
        if (profile) EvalProfile.Print(backend, student, teacher, batches, (float)beta);
        var seconds = new List<double>();
        EvalResult? last = null;
        foreach (var r in Turns.Of(runs, sync))
        {
            var load = Workload.LoadAverage();
            last = evaluator.Evaluate(batches);
            seconds.Add(last.EvalRuntime);
            Console.WriteLine($"RUN {r} {Workload.F(last.EvalRuntime)} {Workload.F(last.EvalTokensPerSecond, 1)} {Workload.G(last.EvalLoss)} {load}");
        }
        var median = Workload.Median(seconds);
        Console.WriteLine($"RESULT eval {Workload.F(median)} {Workload.F(completion / median, 1)} {Workload.G(last!.EvalLoss)}");
        return 0;
    }
}

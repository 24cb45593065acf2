using System.Diagnostics;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Loss;
using Gkd.Native.Training.Model;
using Gkd.Native.Training.Optim;
using Gkd.Native.Training.Trainer;

namespace Gkd.Native.Bench;

/// <summary>
/// `step`: one GKD optimizer step as GkdTrainer.RunStep takes it for an on-policy micro-batch: the student (fresh
/// LoRA adapters, r --lora-r, α --lora-alpha, q_proj and v_proj, no dropout) samples --new tokens after each of its
/// --batch prompts of --prompt-len tokens (temperature 0.9, top-k 0, top-p 1, no EOS), the frozen teacher and the
/// student score the completions (generalized JSD, β --beta, normalised by the completion tokens), backward, the
/// global-norm clip (1.0) and AdamW.
/// <para>
/// First a check on --batch further rows with their dataset completions, before any step: `CHECK loss grad_norm`
/// (the PyTorch peer prints the same for the same rows and adapter); the warm-up is that batch's update and a
/// generation of 16 tokens. Then --runs timed steps:
/// `RUN i seconds gen_s fb_s optim_s loss load` and `RESULT step median_s gen_s fb_s optim_s` (medians per phase).
/// --dump FILE writes the rows and --adapter-out DIR the initial adapter for bench/peers/step_torch.py (and
/// --runs 0 stops there); --sync 1 paces the steps by stdin (see <see cref="Turns"/>).
/// </para>
/// </summary>
public static class StepTiming
{
    public static int Run(string[] args)
    {
        var o = new BenchOptions(args);
        var root = o.String("root", "/tmp/gkd-cpubench");
        var studentDir = o.String("student", Path.Combine(root, "student"));
        var teacherDir = o.String("teacher", Path.Combine(root, "teacher"));
        var dataset = o.String("dataset", Path.Combine(root, "chat"));
        var batch = o.Int("batch", 4);
        var promptLength = o.Int("prompt-len", 128);
        var maxNew = o.Int("new", 64);
        var beta = o.Double("beta", 0.5);
        var lr = o.Double("lr", 1e-4);
        var loraR = o.Int("lora-r", 64);
        var loraAlpha = o.Double("lora-alpha", 16);
        var threads = o.Int("threads", 2);
        var runs = o.Int("runs", 3);
        var dump = o.OptionalString("dump");
        var adapterOut = o.OptionalString("adapter-out");
        var sync = o.Int("sync", 0) != 0;
        o.CheckAllRead();

        var tokenizer = Workload.Tokenizer(studentDir);
        var rows = Workload.FixedRows(tokenizer, dataset, 2 * batch, promptLength, maxNew);
        if (dump is not null) Workload.DumpRows(dump, rows);
        var onPolicyRows = rows[..batch];
        var collator = new ChatCollator(tokenizer, null);
        var options = new GenerationOptions
        {
            MaxNewTokens = maxNew, Temperature = 0.9f, TopK = 0, TopP = 1f, EosTokenIds = [], PadTokenId = tokenizer.PadTokenId,
        };

        using var backend = new CpuBackend(threads);
        using var teacher = Workload.LoadModel(backend, teacherDir);
        using var student = Workload.LoadModel(backend, studentDir);
        var lora = new LoraConfig(loraR, loraAlpha, 0, LoraConfig.DefaultTargets);
        LoraAdapter.Attach(student, lora, 42);
        var weights = new LoraStudentWeights(student, lora, studentDir);
        if (adapterOut is not null) weights.Save(adapterOut);
        if (runs == 0) return 0; // the dumps only
        var parameters = weights.Parameters.Select(p => p.Tensor).ToArray();
        var objective = new DistillObjective(student, teacher, beta);
        using var optimizer = new AdamWOptimizer(weights.Parameters);
        var generator = new Generator(student);
        var prompts = PromptBatch.LeftPad(onPolicyRows.Select(r => r.PromptIds).ToArray(), tokenizer.PadTokenId);
        Console.WriteLine($"step: batch {batch}, prompt {promptLength}, {maxNew} new tokens, on-policy, LoRA r {loraR} α {loraAlpha} q/v " +
                          $"({parameters.Sum(p => p.Numel)} parameters), {threads} threads");

        void ClearGradients()
        {
            foreach (var p in parameters)
            {
                p.Grad?.Dispose();
                p.Grad = null;
            }
        }

        var check = collator.Collate(rows[batch..]);
        var (checkSum, checkTokens) = objective.Run(check, train: true, gradScale: 1f / check.CompletionTokenCount);
        var checkNorm = GradientClipping.ClipByGlobalNorm(parameters, 0);
        Console.WriteLine($"CHECK {Workload.G(checkSum / checkTokens)} {Workload.G(checkNorm)}");
        GradientClipping.ClipByGlobalNorm(parameters, 1.0); // the warm-up: the check's update and a short generation
        optimizer.Step(lr);
        ClearGradients();
        generator.Generate(prompts, options with { MaxNewTokens = 16 }, seed: 1000);

        double[] Step(int step) // seconds of the generation, forward + backward, optimizer; the loss
        {
            var t = new double[4];
            var sw = Stopwatch.StartNew();
            var generated = generator.Generate(prompts, options, seed: (ulong)step);
            var onPolicy = collator.Collate(onPolicyRows.Select((r, b) => r with { CompletionIds = generated.Completions[b] }).ToArray());
            t[0] = Workload.Seconds(sw);
            sw.Restart();
            var (sum, tokens) = objective.Run(onPolicy, train: true, gradScale: 1f / onPolicy.CompletionTokenCount);
            t[1] = Workload.Seconds(sw);
            sw.Restart();
            GradientClipping.ClipByGlobalNorm(parameters, 1.0);
            optimizer.Step(lr);
            ClearGradients();
            t[2] = Workload.Seconds(sw);
            t[3] = sum / tokens;
            return t;
        }

        var phases = new List<double[]>();
        foreach (var r in Turns.Of(runs, sync))
        {
            var load = Workload.LoadAverage();
            var t = Step(r);
            phases.Add([t[0] + t[1] + t[2], .. t]);
            Console.WriteLine($"RUN {r} {string.Join(' ', phases[^1][..4].Select(s => Workload.F(s)))} {Workload.F(t[3], 6)} {load}");
        }
        Console.WriteLine($"RESULT step {string.Join(' ', Enumerable.Range(0, 4).Select(i => Workload.F(Workload.Median(phases.Select(p => p[i]).ToArray()))))}");
        return 0;
    }
}

using System.Diagnostics;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Bench;

/// <summary>
/// Where the time of one generation goes: the prefill, then per decode step the model body (Qwen2Model.DecodeStep),
/// the LM head GEMM (B, V) and the sampler — the calls Generator.Generate makes, timed one by one.
/// </summary>
public static class GenerateProfile
{
    public static void Print(IBackend be, Qwen2Model model, PromptBatch prompts, int maxNew, float temperature)
    {
        var names = new[] { "prefill body", "decode body", "lm head", "sample" };
        var t = new double[names.Length];
        var sw = new Stopwatch();
        int batch = prompts.Batch, time = prompts.Time;
        using var input = ModelInput.Create(be, prompts.Ids, prompts.Start, time);
        using var cache = new KvCache(be, model.Config, batch, time + maxNew - 1);
        using var logits = be.Allocate(new Shape(batch, model.Config.VocabSize), DType.F32);
        using var tokens = be.Allocate(new Shape(batch), DType.I32);
        var positions = new int[batch];
        for (var i = 0; i < maxNew; i++)
        {
            sw.Restart();
            Tensor hidden;
            if (i == 0) hidden = model.Prefill(cache, input);
            else
            {
                for (var b = 0; b < batch; b++) positions[b] = prompts.Length(b) + i - 1;
                using var pos = be.FromArray(positions, batch);
                hidden = model.DecodeStep(cache, tokens, pos);
            }
            t[i == 0 ? 0 : 1] += sw.Elapsed.TotalSeconds;
            sw.Restart();
            be.Matmul(logits, hidden, model.LmHead, false, true, 1f, 0f);
            t[2] += sw.Elapsed.TotalSeconds;
            hidden.Dispose();
            sw.Restart();
            be.Sample(tokens, logits, temperature, 0, 1f, 7, (ulong)(i * batch));
            t[3] += sw.Elapsed.TotalSeconds;
        }
        Console.WriteLine($"profile (one call, load {Workload.LoadAverage()}):");
        for (var i = 0; i < names.Length; i++)
            Console.WriteLine($"  {names[i],-14} {Workload.F(t[i])} s" + (i > 0 ? $"  ({Workload.F(1000 * t[i] / maxNew, 2)} ms/step)" : ""));
    }
}

using System.Diagnostics;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Loss;
using Gkd.Native.Training.Progress;

namespace Gkd.Native.Training.Evaluation;

/// <summary>eval_loss and friends, as the HF Trainer reports them for GKD.</summary>
public sealed record EvalResult(double EvalLoss, long EvalTokens, int EvalSamples, double EvalRuntime)
{
    public double EvalSamplesPerSecond => EvalRuntime > 0 ? EvalSamples / EvalRuntime : 0;
    public double EvalTokensPerSecond => EvalRuntime > 0 ? EvalTokens / EvalRuntime : 0;
}

/// <summary>
/// Teacher-forced evaluation: each batch's loss is its summed generalized JSD over its completion tokens divided by
/// their count (0 for a batch without any), and eval_loss is the mean of the batch losses weighted by each batch's
/// number of samples, as the HF Trainer's evaluation loop computes it.
/// </summary>
public sealed class DistillEvaluator(DistillObjective objective)
{
    public EvalResult Evaluate(IReadOnlyList<ChatBatch> batches, ProgressReporter? progress = null)
    {
        var clock = Stopwatch.StartNew();
        double weighted = 0;
        long tokens = 0;
        var samples = 0;
        foreach (var batch in batches)
        {
            var (sum, n) = objective.Run(batch, train: false);
            weighted += (n == 0 ? 0 : sum / n) * batch.B;
            tokens += n;
            samples += batch.B;
            progress?.Advance(batch.B * batch.T, $"loss {(samples == 0 ? 0 : weighted / samples):F4}");
        }
        progress?.Finish();
        return new EvalResult(samples == 0 ? 0 : weighted / samples, tokens, samples, clock.Elapsed.TotalSeconds);
    }
}

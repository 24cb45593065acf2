using Gkd.Native.Training.Data;
using Gkd.Native.Training.Optim;
using Gkd.Native.Training.Progress;

namespace Gkd.Native.Training.Demo;

/// <summary>
/// Full fine-tuning of every weight with next-token cross-entropy on the completions (<see cref="LabelObjective"/>):
/// seeded epoch batches, AdamW, warmup + cosine schedule, clipping at norm 1. The weights require gradients only
/// while it runs, so the model is frozen again afterwards (ready to be a teacher or to take LoRA adapters).
/// </summary>
public static class CrossEntropyTrainer
{
    private const double MaxGradNorm = 1.0;
    private const int CurvePoints = 50;

    /// <summary>Trains model in place; returns the loss curve: (step, mean loss of the steps since the last point).</summary>
    public static IReadOnlyList<(double Step, double Loss)> Train(LabelObjective objective, IReadOnlyList<TokenizedExample> train,
        ChatCollator collator, CrossEntropySettings s, ulong seed, ProgressReporter progress)
    {
        var weights = objective.Model.NamedWeights().ToArray();
        var tensors = weights.Select(w => w.Tensor).ToArray();
        foreach (var t in tensors) t.RequiresGrad = true;
        using var optimizer = new AdamWOptimizer(weights, s.WeightDecay);
        var schedule = new LrSchedule("cosine", s.LearningRate, s.Steps, s.WarmupSteps);
        var batches = new EpochBatchIterator(train, collator, s.BatchSize, seed);
        var every = Math.Max(1, s.Steps / CurvePoints);
        var curve = new List<(double, double)>();
        double windowLoss = 0;
        var windowSteps = 0;
        try
        {
            foreach (var (step, (_, batch)) in batches.From(new BatchPosition(0, 0)).Take(s.Steps).Index())
            {
                var (sum, tokens) = objective.Run(batch, train: true, gradScale: 1f / Math.Max(1, batch.CompletionTokenCount));
                var loss = sum / Math.Max(1, tokens);
                if (!double.IsFinite(loss)) throw new InvalidOperationException($"cross-entropy training: the loss is {loss} at step {step + 1}");
                GradientClipping.ClipByGlobalNorm(tensors, MaxGradNorm);
                optimizer.Step(schedule.At(step));
                foreach (var t in tensors)
                {
                    t.Grad?.Dispose();
                    t.Grad = null;
                }
                windowLoss += loss;
                windowSteps++;
                if ((step + 1) % every == 0 || step + 1 == s.Steps)
                {
                    curve.Add((step + 1, windowLoss / windowSteps));
                    windowLoss = 0;
                    windowSteps = 0;
                }
                progress.Advance(batch.B * batch.T, $"loss {loss:F4}");
            }
            progress.Finish();
        }
        finally
        {
            foreach (var t in tensors)
            {
                t.RequiresGrad = false;
                t.Grad?.Dispose();
                t.Grad = null;
            }
        }
        return curve;
    }
}

namespace Gkd.Native.Training.Optim;

/// <summary>
/// Learning-rate schedules with transformers' definitions (get_scheduler): the rate of optimizer step k (0-based)
/// is base · λ(k). linear: k/w during warmup, then (N − k)/(N − w) down to 0; cosine: warmup, then
/// ½(1 + cos(π · (k − w)/(N − w))); constant: 1 (transformers ignores warmup for it); constant_with_warmup: warmup,
/// then 1. With no warmup the first step uses the full rate.
/// </summary>
public sealed class LrSchedule
{
    public static readonly IReadOnlyList<string> Types = ["linear", "cosine", "constant", "constant_with_warmup"];

    public LrSchedule(string type, double baseRate, int totalSteps, int warmupSteps)
    {
        if (!Types.Contains(type)) throw new ArgumentException($"unknown lr_scheduler_type '{type}' (one of {string.Join(", ", Types)})");
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "the schedule needs at least one step");
        Type = type;
        BaseRate = baseRate;
        TotalSteps = totalSteps;
        WarmupSteps = Math.Max(0, warmupSteps);
    }

    public string Type { get; }
    public double BaseRate { get; }
    public int TotalSteps { get; }
    public int WarmupSteps { get; }

    /// <summary>transformers' warmup from a ratio: ⌈ratio · total⌉.</summary>
    public static int WarmupFromRatio(double ratio, int totalSteps) => (int)Math.Ceiling(ratio * totalSteps);

    /// <summary>The rate for optimizer step <paramref name="step"/> (0-based).</summary>
    public double At(int step) => BaseRate * Lambda(step);

    private double Lambda(int k)
    {
        if (Type == "constant") return 1;
        if (k < WarmupSteps) return (double)k / Math.Max(1, WarmupSteps);
        var span = (double)Math.Max(1, TotalSteps - WarmupSteps);
        return Type switch
        {
            "linear" => Math.Max(0, (TotalSteps - k) / span),
            "cosine" => Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * (k - WarmupSteps) / span))),
            _ => 1,
        };
    }
}

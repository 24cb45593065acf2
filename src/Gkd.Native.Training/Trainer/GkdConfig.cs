namespace Gkd.Native.Training.Trainer;

/// <summary>
/// Everything a GKD run is configured by, with TRL's names (GKDConfig over SFTConfig over TrainingArguments) and
/// defaults. The CLI fills it from flags; tests and the demo build it directly.
/// </summary>
public sealed record GkdConfig
{
    public required string OutputDir { get; init; }
    public double LearningRate { get; init; } = 2e-5;
    public int PerDeviceTrainBatchSize { get; init; } = 8;
    public int PerDeviceEvalBatchSize { get; init; } = 8;
    public int GradientAccumulationSteps { get; init; } = 1;
    public double NumTrainEpochs { get; init; } = 3;

    /// <summary>When &gt; 0, overrides the epochs.</summary>
    public int MaxSteps { get; init; } = -1;

    /// <summary>Probability of an on-policy (student-generated) micro-batch.</summary>
    public double Lmbda { get; init; } = 0.5;

    /// <summary>Generalized-JSD interpolation (0 = forward KL, 1 = reverse KL).</summary>
    public double Beta { get; init; } = 0.5;

    /// <summary>Sampling temperature for on-policy and sequence-level KD generations.</summary>
    public double Temperature { get; init; } = 0.9;

    public int MaxNewTokens { get; init; } = 128;

    /// <summary>When a micro-batch is not on-policy, let the teacher generate its completions.</summary>
    public bool SeqKd { get; init; }

    /// <summary>Turns off dropout in the student, LoRA dropout included.</summary>
    public bool DisableDropout { get; init; } = true;

    public int MaxLength { get; init; } = 1024;
    public string Optim { get; init; } = "adamw_torch";
    public double WeightDecay { get; init; }
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>Clip the global gradient norm to this; 0 disables clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    public string LrSchedulerType { get; init; } = "linear";
    public int WarmupSteps { get; init; }
    public double WarmupRatio { get; init; }
    public ulong Seed { get; init; } = 42;
    public int LoggingSteps { get; init; } = 10;
    public int SaveSteps { get; init; } = 500;
    public int? SaveTotalLimit { get; init; }

    /// <summary>"no", "steps" or "epoch".</summary>
    public string EvalStrategy { get; init; } = "no";

    public int? EvalSteps { get; init; }
    public bool GradientCheckpointing { get; init; }

    /// <summary>Number of test prompts whose sampled completions are logged at each evaluation (TRL's LogCompletionsCallback).</summary>
    public int LogCompletionsPrompts { get; init; } = 8;
}

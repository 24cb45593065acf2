namespace Gkd.Native.Training.Demo;

/// <summary>
/// How <see cref="CrossEntropyTrainer"/> trains a model on the task: optimizer steps of batchSize rows, AdamW at
/// learningRate with linear warmup then cosine decay, weight decay, the global gradient norm clipped to 1.
/// </summary>
public sealed record CrossEntropySettings(int Steps, int BatchSize, double LearningRate, int WarmupSteps, double WeightDecay);

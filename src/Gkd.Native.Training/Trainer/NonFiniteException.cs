namespace Gkd.Native.Training.Trainer;

/// <summary>A NaN or infinity in a loss or gradient: names the optimizer step, the micro-batch and which model produced it.</summary>
public sealed class NonFiniteException(int step, int microBatch, string source, string what)
    : Exception($"non-finite {what} at optimizer step {step}, micro-batch {microBatch}: produced by the {source}; " +
                "the last checkpoint written before this step is intact")
{
    public int Step { get; } = step;
    public int MicroBatch { get; } = microBatch;
    public string Model { get; } = source;
}

namespace Gkd.Native.Training.Data;

/// <summary>A place in the training stream: the 0-based epoch and the 0-based batch within it (for resuming).</summary>
public readonly record struct BatchPosition(int Epoch, int Batch);

namespace Gkd.Native.Training.Loss;

/// <summary>
/// The rows whose logits are scored: with the causal shift done per sequence, the hidden state at (b, t) predicts
/// token t+1, so row b·T + t counts when labels[b, t+1] ≠ −100 (no slicing by the widest prompt).
/// </summary>
public static class CompletionRows
{
    public const int IgnoreIndex = -100;

    /// <param name="labels">(B·T) row-major labels, −100 on prompt and padding.</param>
    /// <returns>Indices into the (B·T) rows, ascending.</returns>
    public static int[] FromLabels(ReadOnlySpan<int> labels, int batch, int time)
    {
        if (labels.Length != batch * time) throw new ArgumentException($"{labels.Length} labels for a batch of {batch} × {time}");
        var rows = new List<int>();
        for (var b = 0; b < batch; b++)
            for (var t = 0; t + 1 < time; t++)
                if (labels[b * time + t + 1] != IgnoreIndex) rows.Add(b * time + t);
        return [.. rows];
    }
}

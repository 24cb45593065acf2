namespace Gkd.Native.Training.Data;

/// <summary>
/// Deterministic batches over tokenized rows: each epoch visits every row once, in an order fixed by (seed, epoch)
/// alone, cut into batches of batchSize with the last one short (drop_last false). Any position can be recomputed, so
/// resuming at (epoch, batch) yields exactly the batches an uninterrupted run would have.
/// </summary>
public sealed class EpochBatchIterator
{
    private readonly IReadOnlyList<TokenizedExample> _rows;
    private readonly ChatCollator _collator;
    private readonly int _batchSize;
    private readonly ulong _seed;
    private readonly bool _shuffle;

    /// <param name="shuffle">False keeps dataset order every epoch (evaluation).</param>
    public EpochBatchIterator(IReadOnlyList<TokenizedExample> rows, ChatCollator collator, int batchSize, ulong seed, bool shuffle = true)
    {
        if (rows.Count == 0) throw new ArgumentException("no rows to iterate", nameof(rows));
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be positive");
        _rows = rows;
        _collator = collator;
        _batchSize = batchSize;
        _seed = seed;
        _shuffle = shuffle;
    }

    public int BatchesPerEpoch => (_rows.Count + _batchSize - 1) / _batchSize;

    /// <summary>
    /// The epoch's row order: a Fisher–Yates shuffle driven by SplitMix64 seeded with Mix(seed ^ Mix(epoch)), so each
    /// epoch's stream is unrelated to its neighbours'.
    /// </summary>
    public int[] EpochOrder(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var order = Enumerable.Range(0, _rows.Count).ToArray();
        if (!_shuffle) return order;
        var rng = new SplitMix64(SplitMix64.Mix(_seed ^ SplitMix64.Mix((ulong)epoch)));
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = rng.NextBelow(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The row indices of the batch at <paramref name="position"/>.</summary>
    public int[] BatchIndices(BatchPosition position)
    {
        Validate(position);
        return Slice(EpochOrder(position.Epoch), position.Batch);
    }

    /// <summary>Batches from <paramref name="start"/> on, endlessly across epochs; the caller stops.</summary>
    public IEnumerable<(BatchPosition Position, ChatBatch Batch)> From(BatchPosition start)
    {
        Validate(start);
        return Enumerate(start);
    }

    private IEnumerable<(BatchPosition Position, ChatBatch Batch)> Enumerate(BatchPosition start)
    {
        for (var epoch = start.Epoch; ; epoch++)
        {
            var order = EpochOrder(epoch);
            for (var batch = epoch == start.Epoch ? start.Batch : 0; batch < BatchesPerEpoch; batch++)
                yield return (new BatchPosition(epoch, batch), _collator.Collate([.. Slice(order, batch).Select(i => _rows[i])]));
        }
    }

    private void Validate(BatchPosition position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position.Epoch, nameof(position));
        if (position.Batch < 0 || position.Batch >= BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"an epoch has {BatchesPerEpoch} batches");
    }

    private int[] Slice(int[] order, int batch) =>
        order[(batch * _batchSize)..Math.Min((batch + 1) * _batchSize, order.Length)];
}

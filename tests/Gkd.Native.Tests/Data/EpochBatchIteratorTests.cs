using Gkd.Native.Training.Data;
using NUnit.Framework;

namespace Gkd.Native.Tests.Data;

public sealed class EpochBatchIteratorTests
{
    [Test]
    public void SplitMix64MatchesItsReferenceSequence()
    {
        var rng = new SplitMix64(0);
        Assert.That(new[] { rng.Next(), rng.Next(), rng.Next() },
            Is.EqualTo(new[] { 0xE220A8397B1DCDAFUL, 0x6E789E6AA1B965F4UL, 0x06C45D188009454FUL }));
    }

    [Test]
    public void NextBelowStaysInRange()
    {
        var rng = new SplitMix64(5);
        var draws = Enumerable.Range(0, 1000).Select(_ => rng.NextBelow(7)).ToArray();
        Assert.That(draws, Is.All.InRange(0, 6));
        Assert.That(draws.Distinct().Count(), Is.EqualTo(7));
    }

    [Test]
    public void EpochOrderIsPinned()
    {
        // Computed independently by a Python transcription of SplitMix64 + Fisher–Yates (seed 42).
        var iterator = Iterator(rows: 10, batchSize: 4, seed: 42);
        Assert.That(iterator.EpochOrder(0), Is.EqualTo(new[] { 4, 7, 2, 9, 0, 6, 8, 5, 3, 1 }));
        Assert.That(iterator.EpochOrder(1), Is.EqualTo(new[] { 9, 7, 6, 2, 1, 8, 4, 3, 5, 0 }));
        Assert.That(Iterator(rows: 10, batchSize: 4, seed: 7).EpochOrder(0), Is.EqualTo(new[] { 1, 6, 8, 2, 4, 9, 3, 0, 7, 5 }));
    }

    [Test]
    public void EveryEpochIsAPermutation()
    {
        var iterator = Iterator(rows: 37, batchSize: 5, seed: 3);
        for (var epoch = 0; epoch < 5; epoch++)
            Assert.That(iterator.EpochOrder(epoch), Is.EquivalentTo(Enumerable.Range(0, 37)));
        Assert.That(iterator.EpochOrder(0), Is.Not.EqualTo(iterator.EpochOrder(1)));
    }

    [Test]
    public void LastBatchIsShort()
    {
        var iterator = Iterator(rows: 10, batchSize: 4, seed: 42);

        var epoch = iterator.From(new BatchPosition(0, 0)).Take(iterator.BatchesPerEpoch).ToArray();

        Assert.That(iterator.BatchesPerEpoch, Is.EqualTo(3));
        Assert.That(epoch.Select(b => b.Batch.B), Is.EqualTo(new[] { 4, 4, 2 }));
        Assert.That(iterator.BatchIndices(new BatchPosition(0, 2)), Is.EqualTo(new[] { 3, 1 }));
        Assert.That(RowsOf(epoch[0].Batch), Is.EqualTo(new[] { 4, 7, 2, 9 }));
    }

    [Test]
    public void SameSeedGivesSameBatches()
    {
        var a = Iterator(rows: 11, batchSize: 3, seed: 9).From(new BatchPosition(0, 0)).Take(9).ToArray();
        var b = Iterator(rows: 11, batchSize: 3, seed: 9).From(new BatchPosition(0, 0)).Take(9).ToArray();
        var other = Iterator(rows: 11, batchSize: 3, seed: 10).From(new BatchPosition(0, 0)).Take(9).ToArray();

        Assert.That(a.Select(x => x.Position), Is.EqualTo(b.Select(x => x.Position)));
        Assert.That(a.Select(x => RowsOf(x.Batch)), Is.EqualTo(b.Select(x => RowsOf(x.Batch))));
        Assert.That(a.Select(x => RowsOf(x.Batch)), Is.Not.EqualTo(other.Select(x => RowsOf(x.Batch))));
    }

    [Test]
    public void ResumingContinuesTheUninterruptedStream()
    {
        var iterator = Iterator(rows: 10, batchSize: 4, seed: 42);
        var uninterrupted = iterator.From(new BatchPosition(0, 0)).Take(8).ToArray();

        var resumed = Iterator(rows: 10, batchSize: 4, seed: 42).From(new BatchPosition(1, 1)).Take(4).ToArray();

        Assert.That(resumed.Select(x => x.Position), Is.EqualTo(new BatchPosition[] { new(1, 1), new(1, 2), new(2, 0), new(2, 1) }));
        Assert.That(resumed.Select(x => x.Position), Is.EqualTo(uninterrupted[4..].Select(x => x.Position)));
        Assert.That(resumed.Select(x => x.Batch.InputIds), Is.EqualTo(uninterrupted[4..].Select(x => x.Batch.InputIds)));
    }

    [Test]
    public void WithoutShuffleEveryEpochKeepsDatasetOrder()
    {
        var iterator = Iterator(rows: 5, batchSize: 2, seed: 42, shuffle: false);
        Assert.That(iterator.EpochOrder(3), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
    }

    [Test]
    public void PositionOutsideTheEpochIsRejected()
    {
        var iterator = Iterator(rows: 10, batchSize: 4, seed: 42);
        Assert.That(() => iterator.From(new BatchPosition(0, 3)), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => iterator.BatchIndices(new BatchPosition(-1, 0)), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    /// <summary>Row i is prompt [1000 + i], completion [i]: a batch's labels name its rows.</summary>
    private static EpochBatchIterator Iterator(int rows, int batchSize, ulong seed, bool shuffle = true) => new(
        [.. Enumerable.Range(0, rows).Select(i => new TokenizedExample(new RowOrigin("rows", RowLocator.Row, i), [1000 + i], [i]))],
        new ChatCollator(new ByteChatTokenizer(), maxLength: null), batchSize, seed, shuffle);

    private static int[] RowsOf(ChatBatch batch) => [.. batch.Labels.Where(l => l != ChatBatch.IgnoreIndex)];
}

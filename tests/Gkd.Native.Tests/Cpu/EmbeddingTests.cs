using Gkd.Native.Core.Tensors;
using NUnit.Framework;

namespace Gkd.Native.Tests.Cpu;

[TestFixture(false)]
[TestFixture(true)]
public class EmbeddingTests(bool wide) : CpuOpTest(wide)
{
    [TestCase(DType.F32)]
    [TestCase(DType.BF16)]
    [TestCase(DType.F16)]
    public void ForwardGathersRows(DType dtype)
    {
        const int vocab = 50, c = 19, n = 33;
        var rng = new Random(1);
        var table = Uniform(rng, vocab * c);
        var ids = Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray();
        using var be = Backend();
        using var tt = Stored(be, table, dtype, vocab, c);
        using var tf = be.Allocate(tt.Shape, DType.F32);
        be.Copy(tf, tt);
        var rounded = Read(tf);
        using var ti = I32(be, ids, n);
        using var ty = be.Allocate(new Shape(n, c), DType.F32);
        be.EmbeddingForward(ty, ti, tt);
        var y = Read(ty);
        for (var i = 0; i < n; i++)
            Assert.That(y.AsSpan(i * c, c).ToArray(), Is.EqualTo(rounded.AsSpan(ids[i] * c, c).ToArray()), $"row {i}");
    }

    [Test]
    public void BackwardEqualsTheSerialScatterForAnyThreadCount()
    {
        const int vocab = 23, c = 41, n = 501;
        var rng = new Random(2);
        var ids = Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray(); // many repeats
        var dy = Uniform(rng, n * c);
        var dt0 = Uniform(rng, vocab * c);
        var serial = (float[])dt0.Clone();
        for (var i = 0; i < n; i++)
            for (var j = 0; j < c; j++) serial[ids[i] * c + j] += dy[i * c + j];
        var exact = ToDouble(dt0);
        for (var i = 0; i < n; i++)
            for (var j = 0; j < c; j++) exact[ids[i] * c + j] += dy[i * c + j];
        // The gradient of L = Σ dy·table[ids] over the table, against a central difference in double.
        var w = ToDouble(dy);
        double Loss(double[] t)
        {
            var s = 0.0;
            for (var i = 0; i < n; i++)
                for (var j = 0; j < c; j++) s += w[i * c + j] * t[ids[i] * c + j];
            return s;
        }
        AssertDirectionalDerivative(Loss, ToDouble(dt0), exact.Select((e, k) => e - dt0[k]).ToArray(), seed: 3, "Embedding");
        foreach (var threads in ThreadCounts)
        {
            using var be = Backend(threads);
            using var ti = I32(be, ids, n);
            using var tdy = F32(be, dy, n, c);
            using var tdt = F32(be, dt0, vocab, c);
            be.EmbeddingBackward(tdt, tdy, ti);
            var dt = Read(tdt);
            AssertSameBits(dt, serial, $"threads {threads}: bits of the serial loop");
            // ~22 f32 additions per entry of size ≤ 1: well within 1e-5.
            AssertClose(dt, exact, 0, 1e-5, "dtable vs double");
        }
    }

    [Test]
    public void IdsOutsideTheVocabularyAreRejected()
    {
        using var be = Backend();
        using var table = be.Allocate(new Shape(10, 4), DType.F32);
        using var ids = I32(be, [3, 10], 2);
        using var y = be.Allocate(new Shape(2, 4), DType.F32);
        Assert.That(() => be.EmbeddingForward(y, ids, table),
            Throws.ArgumentException.With.Message.Contains("EmbeddingForward").And.Message.Contains("ids[1] = 10"));
    }
}

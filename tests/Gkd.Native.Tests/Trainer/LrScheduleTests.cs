using Gkd.Native.Training.Optim;

namespace Gkd.Native.Tests.Trainer;

/// <summary>transformers' get_scheduler definitions, at the step the optimizer uses them.</summary>
public sealed class LrScheduleTests
{
    [Test]
    public void LinearWithoutWarmupStartsAtTheFullRate()
    {
        var s = new LrSchedule("linear", 2e-4, totalSteps: 10, warmupSteps: 0);
        Assert.That(s.At(0), Is.EqualTo(2e-4));
        Assert.That(s.At(5), Is.EqualTo(1e-4).Within(1e-18));
        Assert.That(s.At(9), Is.EqualTo(2e-5).Within(1e-18));
        Assert.That(s.At(10), Is.EqualTo(0));
    }

    [Test]
    public void LinearWarmupRisesFromZero()
    {
        var s = new LrSchedule("linear", 1.0, totalSteps: 10, warmupSteps: 4);
        Assert.That(Enumerable.Range(0, 5).Select(s.At), Is.EqualTo(new[] { 0, 0.25, 0.5, 0.75, 1.0 }));
        Assert.That(s.At(7), Is.EqualTo(0.5).Within(1e-15));
    }

    [Test]
    public void CosineFollowsHalfACosine()
    {
        var s = new LrSchedule("cosine", 1.0, totalSteps: 12, warmupSteps: 2);
        Assert.That(s.At(1), Is.EqualTo(0.5));
        Assert.That(s.At(2), Is.EqualTo(1.0));
        Assert.That(s.At(7), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(s.At(12), Is.EqualTo(0).Within(1e-12));
    }

    [Test]
    public void ConstantIgnoresWarmupAsTransformersDoes()
    {
        Assert.That(new LrSchedule("constant", 3.0, 10, 5).At(0), Is.EqualTo(3.0));
        Assert.That(new LrSchedule("constant_with_warmup", 3.0, 10, 5).At(0), Is.EqualTo(0));
    }

    [Test]
    public void WarmupRatioRoundsUp() => Assert.That(LrSchedule.WarmupFromRatio(0.1, 15), Is.EqualTo(2));

    [Test]
    public void UnknownTypeIsRefused() =>
        Assert.That(() => new LrSchedule("polynomial", 1, 10, 0), Throws.ArgumentException.With.Message.Contains("linear, cosine"));
}

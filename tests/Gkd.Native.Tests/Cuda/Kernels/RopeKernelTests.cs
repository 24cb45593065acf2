using Gkd.Native.Core.Tensors;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Kernels;

/// <summary>kernels/rope.cu on the emulated runtime against the CPU backend, f32 and bf16 activations.</summary>
[Category("KernelEmulation")]
[TestFixture(DType.F32)]
[TestFixture(DType.BF16)]
public sealed class RopeKernelTests(DType activations)
{
    private BackendPair _pair = null!;

    [OneTimeSetUp]
    public void Create() => _pair = new BackendPair(activations);

    [OneTimeTearDown]
    public void Dispose() => _pair.Dispose();

    // Positions up to 1300 (angles up to ~1300 rad), where an angle off by one f32 ulp would show.
    [TestCase(1, 1, 8, 10000f)]
    [TestCase(7, 3, 24, 10000f)]
    [TestCase(33, 2, 64, 1000000f)]
    [TestCase(5, 1, 128, 10000f)]
    public void Forward_MatchesCpu(int n, int heads, int headDim, float theta)
    {
        var width = heads * headDim;
        var (xc, xg) = _pair.Upload(BackendPair.Random(n + width, (long)n * width, 2f), null, n, width);
        var (pc, pg) = _pair.Upload(Positions(n), n);
        using var yc = _pair.Cpu.Allocate(new Shape(n, width), DType.F32);
        using var yg = _pair.Cuda.Allocate(new Shape(n, width), activations);

        _pair.Cpu.RopeForward(yc, xc, pc, headDim, theta);
        _pair.Cuda.RopeForward(yg, xg, pg, headDim, theta);

        Close.Assert(yg.ToFloatArray(), yc.ToFloatArray(), _pair.Tolerance, "y");
        foreach (var t in (ReadOnlySpan<Tensor>)[xc, xg, pc, pg]) t.Dispose();
    }

    [Test]
    public void Forward_InPlace()
    {
        const int n = 7, headDim = 24, width = 2 * headDim;
        var (xc, xg) = _pair.Upload(BackendPair.Random(5, n * width), null, n, width);
        var (pc, pg) = _pair.Upload(Positions(n), n);

        _pair.Cpu.RopeForward(xc, xc, pc, headDim, 10000f);
        _pair.Cuda.RopeForward(xg, xg, pg, headDim, 10000f);

        Close.Assert(xg.ToFloatArray(), xc.ToFloatArray(), _pair.Tolerance, "y = x in place");
        foreach (var t in (ReadOnlySpan<Tensor>)[xc, xg, pc, pg]) t.Dispose();
    }

    [TestCase(1, 1, 8)]
    [TestCase(7, 3, 24)]
    [TestCase(33, 2, 64)]
    public void Backward_AccumulatesLikeCpu(int n, int heads, int headDim)
    {
        var width = heads * headDim;
        var (dyc, dyg) = _pair.Upload(BackendPair.Random(n * 3 + width, (long)n * width), null, n, width);
        var (dxc, dxg) = _pair.Upload(BackendPair.Random(n * 5 + width, (long)n * width), null, n, width);
        var (pc, pg) = _pair.Upload(Positions(n), n);

        _pair.Cpu.RopeBackward(dxc, dyc, pc, headDim, 10000f);
        _pair.Cuda.RopeBackward(dxg, dyg, pg, headDim, 10000f);

        Close.Assert(dxg.ToFloatArray(), dxc.ToFloatArray(), _pair.Tolerance, "dx");
        foreach (var t in (ReadOnlySpan<Tensor>)[dyc, dyg, dxc, dxg, pc, pg]) t.Dispose();
    }

    [Test]
    public void Backward_RefusesAliasing()
    {
        var (dyc, dyg) = _pair.Upload(BackendPair.Random(1, 16), null, 2, 8);
        var (pc, pg) = _pair.Upload([0, 1], 2);
        Assert.Throws<ArgumentException>(() => _pair.Cuda.RopeBackward(dyg, dyg, pg, 8, 10000f));
        foreach (var t in (ReadOnlySpan<Tensor>)[dyc, dyg, pc, pg]) t.Dispose();
    }

    /// <summary>Token positions: 0, then random ones up to 1300 (a long prompt's tail).</summary>
    private static int[] Positions(int n)
    {
        var rng = new Random(n);
        return Enumerable.Range(0, n).Select(i => i == 0 ? 0 : rng.Next(0, 1301)).ToArray();
    }
}

using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Kernels;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Kernels;

/// <summary>kernels/rmsnorm.cu on the emulated runtime against the CPU backend, f32 and bf16 activations.</summary>
[Category("KernelEmulation")]
[TestFixture(DType.F32)]
[TestFixture(DType.BF16)]
public sealed class RmsNormKernelTests(DType activations)
{
    private BackendPair _pair = null!;

    [OneTimeSetUp]
    public void Create() => _pair = new BackendPair(activations);

    [OneTimeTearDown]
    public void Dispose() => _pair.Dispose();

    // Row per warp (C ≤ 1024) and row per block (C = 1100).
    [TestCase(1, 13, DType.F32)]
    [TestCase(7, 257, DType.BF16)]
    [TestCase(33, 13, DType.BF16)]
    [TestCase(33, 257, DType.F32)]
    [TestCase(3, 1100, DType.F32)]
    [TestCase(2, 1100, DType.BF16)]
    public void Forward_MatchesCpu(int n, int c, DType weight)
    {
        var seed = n * 1000 + c;
        var (xc, xg) = _pair.Upload(BackendPair.Random(seed, (long)n * c, 3f), null, n, c);
        var (wc, wg) = _pair.Upload(BackendPair.Random(seed + 1, c), weight, c);
        using var yc = _pair.Cpu.Allocate(new Shape(n, c), DType.F32);
        using var rc = _pair.Cpu.Allocate(new Shape(n), DType.F32);
        using var yg = _pair.Cuda.Allocate(new Shape(n, c), activations);
        using var rg = _pair.Cuda.Allocate(new Shape(n), DType.F32);

        _pair.Cpu.RmsNormForward(yc, rc, xc, wc, 1e-6f);
        _pair.Cuda.RmsNormForward(yg, rg, xg, wg, 1e-6f);

        Close.Assert(rg.ToFloatArray(), rc.ToFloatArray(), Close.F32, "rstd");
        Close.Assert(yg.ToFloatArray(), yc.ToFloatArray(), _pair.Tolerance, "y");
        foreach (var t in (ReadOnlySpan<Tensor>)[xc, xg, wc, wg]) t.Dispose();
    }

    [Test]
    public void Forward_InPlace()
    {
        const int n = 5, c = 40;
        var values = BackendPair.Random(3, n * c);
        var (xc, xg) = _pair.Upload(values, null, n, c);
        var (wc, wg) = _pair.Upload(BackendPair.Random(4, c), DType.F32, c);
        using var rc = _pair.Cpu.Allocate(new Shape(n), DType.F32);
        using var rg = _pair.Cuda.Allocate(new Shape(n), DType.F32);

        _pair.Cpu.RmsNormForward(xc, rc, xc, wc, 1e-5f);
        _pair.Cuda.RmsNormForward(xg, rg, xg, wg, 1e-5f);

        Close.Assert(xg.ToFloatArray(), xc.ToFloatArray(), _pair.Tolerance, "y = x in place");
        foreach (var t in (ReadOnlySpan<Tensor>)[xc, xg, wc, wg]) t.Dispose();
    }

    // n = 4100 makes the dw chunks hold more than one row per warp (at most 1024 partial rows).
    [TestCase(1, 13, DType.F32, true)]
    [TestCase(7, 257, DType.BF16, true)]
    [TestCase(33, 13, DType.F32, false)]
    [TestCase(33, 257, DType.BF16, false)]
    [TestCase(4100, 13, DType.BF16, true)]
    public void Backward_MatchesCpu(int n, int c, DType weight, bool withDw)
    {
        var (dxc, dxg, dwc, dwg) = RunBackward(n, c, weight, withDw, seed: n + c);

        Close.Assert(dxg.ToFloatArray(), dxc.ToFloatArray(), _pair.Tolerance, "dx");
        if (withDw) Close.Assert(dwg!.ToFloatArray(), dwc!.ToFloatArray(), _pair.Tolerance, "dw");
        foreach (var t in (ReadOnlySpan<Tensor?>)[dxc, dxg, dwc, dwg]) t?.Dispose();
    }

    [Test]
    public void Backward_IsDeterministic()
    {
        var (dxc1, dx1, dwc1, dw1) = RunBackward(4100, 19, DType.F32, withDw: true, seed: 9);
        var (dxc2, dx2, dwc2, dw2) = RunBackward(4100, 19, DType.F32, withDw: true, seed: 9);

        Assert.That(Bits(dx2), Is.EqualTo(Bits(dx1)), "dx");
        Assert.That(Bits(dw2!), Is.EqualTo(Bits(dw1!)), "dw");
        foreach (var t in (ReadOnlySpan<Tensor?>)[dxc1, dx1, dwc1, dw1, dxc2, dx2, dwc2, dw2]) t?.Dispose();
    }

    /// <summary>Forward then backward (+= into random dx, dw) on both backends from the same inputs.</summary>
    private (Tensor DxCpu, Tensor DxCuda, Tensor? DwCpu, Tensor? DwCuda) RunBackward(int n, int c, DType weight, bool withDw, int seed)
    {
        var (xc, xg) = _pair.Upload(BackendPair.Random(seed, (long)n * c, 2f), null, n, c);
        var (wc, wg) = _pair.Upload(BackendPair.Random(seed + 1, c), weight, c);
        var (dyc, dyg) = _pair.Upload(BackendPair.Random(seed + 2, (long)n * c), null, n, c);
        var (dxc, dxg) = _pair.Upload(BackendPair.Random(seed + 3, (long)n * c), null, n, c);
        (Tensor? Cpu, Tensor? Cuda) dw = withDw ? _pair.Upload(BackendPair.Random(seed + 4, c), null, c) : (null, null);
        var (dwc, dwg) = dw;
        using var yc = _pair.Cpu.Allocate(new Shape(n, c), DType.F32);
        using var rc = _pair.Cpu.Allocate(new Shape(n), DType.F32);
        using var yg = _pair.Cuda.Allocate(new Shape(n, c), activations);
        using var rg = _pair.Cuda.Allocate(new Shape(n), DType.F32);

        _pair.Cpu.RmsNormForward(yc, rc, xc, wc, 1e-6f);
        _pair.Cuda.RmsNormForward(yg, rg, xg, wg, 1e-6f);
        _pair.Cpu.RmsNormBackward(dxc, dwc, dyc, xc, wc, rc);
        _pair.Cuda.RmsNormBackward(dxg, dwg, dyg, xg, wg, rg);

        foreach (var t in (ReadOnlySpan<Tensor>)[xc, xg, wc, wg, dyc, dyg]) t.Dispose();
        return (dxc, dxg, dwc, dwg);
    }

    private static uint[] Bits(Tensor t) => t.ToFloatArray().Select(BitConverter.SingleToUInt32Bits).ToArray();
}

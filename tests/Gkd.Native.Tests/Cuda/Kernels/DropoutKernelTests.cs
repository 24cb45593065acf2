using Gkd.Native.Core.Random;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Kernels;

/// <summary>kernels/dropout.cu through the CUDA backend on the emulated runtime: the CPU backend's mask and values, bit for bit.</summary>
[TestFixture(DType.F32)]
[TestFixture(DType.BF16)]
[Category("KernelEmulation")]
public sealed class DropoutKernelTests(DType activations)
{
    private BackendPair _pair = null!;

    [OneTimeSetUp]
    public void Start() => _pair = new BackendPair(activations);

    [OneTimeTearDown]
    public void Stop() => _pair.Dispose();

    [TestCase(1, 0.1f, 7UL)]
    [TestCase(91, 0.5f, 0x1234_5678_9ABC_DEF0UL)]
    [TestCase(34_023, 0.1f, 42UL)]
    [TestCase(1031, 0f, 3UL)]
    [TestCase(1031, 1f, 3UL)]
    public void ForwardAndBackward_MatchCpuBitForBit(int n, float p, ulong seed)
    {
        var x = Upload(1, n);
        var dx = Upload(2, n);
        using var yCpu = _pair.Cpu.Allocate(x.Cpu.Shape, DType.F32);
        using var yCuda = _pair.Cuda.Allocate(x.Cuda.Shape, activations);
        _pair.Cpu.Dropout(yCpu, x.Cpu, p, seed);
        _pair.Cuda.Dropout(yCuda, x.Cuda, p, seed);
        KernelParity.BitExact(yCuda, yCpu, $"y = dropout(x), p = {p}");

        _pair.Cpu.DropoutBackward(dx.Cpu, x.Cpu, p, seed);
        _pair.Cuda.DropoutBackward(dx.Cuda, x.Cuda, p, seed);
        KernelParity.BitExact(dx.Cuda, dx.Cpu, $"dx += dropout'(dy), p = {p}");
        KernelParity.Release(x, dx);
    }

    [TestCase(1031, 0.3f)]
    [TestCase(4096, 0.25f)]
    public void Mask_IsPhiloxUniformAtLeastP_AndInPlaceMatches(int n, float p)
    {
        const ulong seed = 0xDEAD_BEEF_0000_0001UL;
        var ones = Enumerable.Repeat(1f, n).ToArray();
        var x = _pair.Upload(ones, null, n);
        _pair.Cuda.Dropout(x.Cuda, x.Cuda, p, seed);
        var scale = 1f / (1f - p);
        var expected = Enumerable.Range(0, n).Select(i => Philox.Uniform(seed, (ulong)i) >= p ? scale : 0f).ToArray();
        if (activations == DType.BF16) expected = expected.Select(v => BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(v))).ToArray();
        Assert.That(KernelParity.Bits(x.Cuda.ToFloatArray()), Is.EqualTo(KernelParity.Bits(expected)));
        KernelParity.Release(x);
    }

    [Test]
    public void UnalignedViews_TakeTheElementPath_WithTheSameResults()
    {
        const int n = 1031;
        var x = Upload(3, n + 3);
        using var xCpu = x.Cpu.Rows(3, n);
        using var xCuda = x.Cuda.Rows(3, n);
        _pair.Cpu.Dropout(xCpu, xCpu, 0.2f, 11);
        _pair.Cuda.Dropout(xCuda, xCuda, 0.2f, 11);
        KernelParity.BitExact(x.Cuda, x.Cpu, "in-place dropout of an unaligned view");
        KernelParity.Release(x);
    }

    private (Tensor Cpu, Tensor Cuda) Upload(int seed, int n) => _pair.Upload(BackendPair.Random(seed, n), null, n);
}

using Gkd.Native.Core.Tensors;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Kernels;

/// <summary>kernels/swiglu.cu through the CUDA backend on the emulated runtime, against the CPU backend.</summary>
[TestFixture(DType.F32)]
[TestFixture(DType.BF16)]
[Category("KernelEmulation")]
public sealed class SwiGluKernelTests(DType activations)
{
    private BackendPair _pair = null!;

    [OneTimeSetUp]
    public void Start() => _pair = new BackendPair(activations);

    [OneTimeTearDown]
    public void Stop() => _pair.Dispose();

    [TestCase(1, 1)]
    [TestCase(7, 13)]
    [TestCase(33, 257)]
    [TestCase(3, 1031)]
    [TestCase(4, 136)]
    public void ForwardAndBackward_MatchCpu(int rows, int cols)
    {
        var gate = Upload(1, rows, cols, 4f);
        var up = Upload(2, rows, cols);
        var dy = Upload(3, rows, cols);
        var dgate = Upload(4, rows, cols);
        var dup = Upload(5, rows, cols);
        using var yCpu = _pair.Cpu.Allocate(gate.Cpu.Shape, DType.F32);
        using var yCuda = _pair.Cuda.Allocate(gate.Cuda.Shape, activations);
        _pair.Cpu.SwiGluForward(yCpu, gate.Cpu, up.Cpu);
        _pair.Cuda.SwiGluForward(yCuda, gate.Cuda, up.Cuda);
        KernelParity.Near(yCuda, yCpu, _pair.Tolerance, "y = silu(gate) · up");

        _pair.Cpu.SwiGluBackward(dgate.Cpu, dup.Cpu, dy.Cpu, gate.Cpu, up.Cpu);
        _pair.Cuda.SwiGluBackward(dgate.Cuda, dup.Cuda, dy.Cuda, gate.Cuda, up.Cuda);
        KernelParity.Near(dgate.Cuda, dgate.Cpu, _pair.Tolerance, "dgate += dy · up · silu'(gate)");
        KernelParity.Near(dup.Cuda, dup.Cpu, _pair.Tolerance, "dup += dy · silu(gate)");

        _pair.Cuda.SwiGluForward(up.Cuda, gate.Cuda, up.Cuda);
        Assert.That(KernelParity.Bits(up.Cuda.ToFloatArray()), Is.EqualTo(KernelParity.Bits(yCuda.ToFloatArray())), "y aliasing up");
        _pair.Cuda.SwiGluForward(gate.Cuda, gate.Cuda, dy.Cuda);
        _pair.Cpu.SwiGluForward(gate.Cpu, gate.Cpu, dy.Cpu);
        KernelParity.Near(gate.Cuda, gate.Cpu, _pair.Tolerance, "y aliasing gate");
        KernelParity.Release(gate, up, dy, dgate, dup);
    }

    [Test]
    public void UnalignedViews_TakeTheElementPath()
    {
        const int rows = 5, cols = 21;
        var gate = Upload(6, rows + 1, cols, 4f);
        var up = Upload(7, rows + 1, cols);
        using var gCpu = gate.Cpu.Rows(1, rows);
        using var gCuda = gate.Cuda.Rows(1, rows);
        using var uCpu = up.Cpu.Rows(1, rows);
        using var uCuda = up.Cuda.Rows(1, rows);
        _pair.Cpu.SwiGluForward(uCpu, gCpu, uCpu);
        _pair.Cuda.SwiGluForward(uCuda, gCuda, uCuda);
        KernelParity.Near(up.Cuda, up.Cpu, _pair.Tolerance, "swiglu on unaligned views");
        KernelParity.Release(gate, up);
    }

    private (Tensor Cpu, Tensor Cuda) Upload(int seed, int rows, int cols, float scale = 1f) =>
        _pair.Upload(BackendPair.Random(seed, rows * cols, scale), null, rows, cols);
}

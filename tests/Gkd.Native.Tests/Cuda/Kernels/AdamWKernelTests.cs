using Gkd.Native.Core.Tensors;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Kernels;

/// <summary>kernels/adamw.cu through the CUDA backend on the emulated runtime, against the CPU backend (all f32).</summary>
[Category("KernelEmulation")]
public sealed class AdamWKernelTests
{
    private BackendPair _pair = null!;

    [OneTimeSetUp]
    public void Start() => _pair = new BackendPair(DType.F32);

    [OneTimeTearDown]
    public void Stop() => _pair.Dispose();

    [TestCase(1, 0f)]
    [TestCase(13, 0.01f)]
    [TestCase(1031, 0.1f)]
    [TestCase(34_023, 0.01f)]
    public void ThreeSteps_MatchCpu(int n, float weightDecay)
    {
        var param = Upload(1, n);
        var m = Upload(2, n, 0.01f);
        var v = SecondMoment(3, n);
        for (var step = 1; step <= 3; step++)
        {
            var grad = Upload(10 + step, n);
            _pair.Cpu.AdamW(param.Cpu, m.Cpu, v.Cpu, grad.Cpu, 1e-3f, 0.9f, 0.999f, 1e-8f, weightDecay, step);
            _pair.Cuda.AdamW(param.Cuda, m.Cuda, v.Cuda, grad.Cuda, 1e-3f, 0.9f, 0.999f, 1e-8f, weightDecay, step);
            KernelParity.Release(grad);
        }
        KernelParity.Near(param.Cuda, param.Cpu, Close.F32, "param");
        KernelParity.Near(m.Cuda, m.Cpu, Close.F32, "m");
        KernelParity.Near(v.Cuda, v.Cpu, Close.F32, "v");
        KernelParity.Release(param, m, v);
    }

    [Test]
    public void UnalignedViews_TakeTheElementPath()
    {
        const int n = 1031;
        var all = new[] { Upload(4, n + 1), Upload(5, n + 1, 0.01f), SecondMoment(6, n + 1), Upload(7, n + 1) };
        var cpu = all.Select(t => t.Cpu.Rows(1, n)).ToArray();
        var cuda = all.Select(t => t.Cuda.Rows(1, n)).ToArray();
        _pair.Cpu.AdamW(cpu[0], cpu[1], cpu[2], cpu[3], 1e-2f, 0.9f, 0.95f, 1e-6f, 0.1f, 7);
        _pair.Cuda.AdamW(cuda[0], cuda[1], cuda[2], cuda[3], 1e-2f, 0.9f, 0.95f, 1e-6f, 0.1f, 7);
        KernelParity.Near(all[0].Cuda, all[0].Cpu, Close.F32, "param of an unaligned view");
        foreach (var t in cpu.Concat(cuda)) t.Dispose();
        KernelParity.Release(all);
    }

    private (Tensor Cpu, Tensor Cuda) Upload(int seed, int n, float scale = 1f) =>
        _pair.Upload(BackendPair.Random(seed, n, scale), DType.F32, n);

    /// <summary>A second-moment state: non-negative.</summary>
    private (Tensor Cpu, Tensor Cuda) SecondMoment(int seed, int n) =>
        _pair.Upload(BackendPair.Random(seed, n, 0.01f).Select(MathF.Abs).ToArray(), DType.F32, n);
}

using Gkd.Native.Core.Autograd;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Reference;

/// <summary>The LoRA branch through the tape (forward and all three input gradients) against PyTorch.</summary>
public sealed class LoraGoldenTests
{
    [Test]
    public void BranchForwardAndBackward()
    {
        using IBackend cpu = new CpuBackend(2);
        using var g = new GoldenFile("ops", "lora.safetensors");
        using var x = g.Load(cpu, "x");
        using var a = g.Load(cpu, "A");
        using var b = g.Load(cpu, "B");
        using var dy = g.Load(cpu, "dy");
        foreach (var t in new[] { x, a, b }) t.RequiresGrad = true;
        using var zero = cpu.Zeros(g.ShapeOf("y"), DType.F32);
        using var tape = new Tape();
        using var y = tape.Lora(zero, x, a, b, (float)g.Meta("scaling"), dropout: 0f, seed: 0);
        tape.Backward(y, dy);
        Close.Assert(y.ToFloatArray(), g.F32("y"), Close.F32, "lora.y");
        Close.Assert(x.Grad!.ToFloatArray(), g.F32("dx"), Close.F32, "lora.dx");
        Close.Assert(a.Grad!.ToFloatArray(), g.F32("dA"), Close.F32, "lora.dA");
        Close.Assert(b.Grad!.ToFloatArray(), g.F32("dB"), Close.F32, "lora.dB");
    }
}

using Gkd.Native.Core.Autograd;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Model;

/// <summary>One linear module (q_proj, up_proj, …): y = x·Wᵀ + b, plus its LoRA branch when an adapter targets it.</summary>
public sealed class Projection(string path, Tensor weight, Tensor? bias) : IDisposable
{
    /// <summary>The module's path in the checkpoint, e.g. "model.layers.3.self_attn.q_proj".</summary>
    public string Path { get; } = path;

    /// <summary>The module's short name, e.g. "q_proj" (what target_modules match).</summary>
    public string Kind => Path[(Path.LastIndexOf('.') + 1)..];

    public Tensor Weight { get; } = weight;   // (out, in)
    public Tensor? Bias { get; } = bias;      // (out)
    public LoraWeights? Lora { get; set; }

    public int InFeatures => Weight.Shape[1];
    public int OutFeatures => Weight.Shape[0];

    /// <summary>y (N, out) for x (N, in); seed keys this module's LoRA dropout mask.</summary>
    public Tensor Forward(Tape tape, Tensor x, ulong seed) => Apply(tape, x, Lora?.Dropout ?? 0f, seed);

    /// <summary>y (N, out) for x (N, in) on no tape, with the LoRA branch but never its dropout (generation).</summary>
    public Tensor Infer(Tensor x) => Apply(Tape.NoGrad, x, 0f, 0);

    private Tensor Apply(Tape tape, Tensor x, float dropout, ulong seed)
    {
        var y = tape.Linear(x, Weight, Bias);
        if (Lora is not { } lora) return y;
        using (y) return tape.Lora(y, x, lora.A, lora.B, lora.Scaling, dropout, seed);
    }

    public void Dispose()
    {
        Weight.Dispose();
        Bias?.Dispose();
        Lora?.Dispose();
    }
}

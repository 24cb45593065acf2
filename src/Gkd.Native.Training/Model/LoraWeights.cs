using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Model;

/// <summary>
/// The trainable low-rank update of one projection: W' = W + B·A·scaling, A (r, in), B (out, r), f32 leaves that
/// require gradients; dropout applies to the branch input only.
/// </summary>
public sealed class LoraWeights(Tensor a, Tensor b, float scaling, float dropout) : IDisposable
{
    public Tensor A { get; } = a;     // (r, in)
    public Tensor B { get; } = b;     // (out, r)
    public float Scaling { get; } = scaling;
    public float Dropout { get; set; } = dropout;

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}

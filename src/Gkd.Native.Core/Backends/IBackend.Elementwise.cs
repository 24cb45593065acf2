using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Core.Backends;

public partial interface IBackend
{
    /// <summary>y = a + b (residual add). y may alias a or b. Its backward passes dy through to both.</summary>
    void Add(Tensor y, Tensor a, Tensor b);

    /// <summary>y += alpha · x (gradient accumulation, SGD).</summary>
    void Axpy(Tensor y, Tensor x, float alpha);

    /// <summary>y *= alpha.</summary>
    void Scale(Tensor y, float alpha);

    /// <summary>y (N, C) += bias (C); bias may be a stored weight dtype.</summary>
    void AddBias(Tensor y, Tensor bias);

    /// <summary>dbias (C) += Σₙ dy (N, C).</summary>
    void AddBiasBackward(Tensor dbias, Tensor dy);

    /// <summary>result (1) f32 = Σ x² (or += when accumulate), summed in a fixed order.</summary>
    void SumOfSquares(Tensor result, Tensor x, bool accumulate);
}

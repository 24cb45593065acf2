using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Optim;

/// <summary>torch.nn.utils.clip_grad_norm_: the global L2 norm over all gradients, scaled down to maxNorm when above it.</summary>
public static class GradientClipping
{
    /// <summary>The total norm before clipping; when maxNorm &gt; 0 and the norm exceeds it, every gradient is multiplied by maxNorm / (norm + 1e-6).</summary>
    public static double ClipByGlobalNorm(IReadOnlyList<Tensor> parameters, double maxNorm)
    {
        var withGrad = parameters.Where(p => p.Grad is not null).ToArray();
        if (withGrad.Length == 0) return 0;
        var be = withGrad[0].Backend;
        using var acc = be.Allocate(new Shape(1), DType.F32);
        for (var i = 0; i < withGrad.Length; i++) be.SumOfSquares(acc, withGrad[i].Grad!, accumulate: i > 0);
        var norm = Math.Sqrt(acc.ToFloatArray()[0]);
        if (maxNorm > 0 && norm > maxNorm)
        {
            var coef = (float)(maxNorm / (norm + 1e-6));
            foreach (var p in withGrad) be.Scale(p.Grad!, coef);
        }
        return norm;
    }
}

using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Optim;

/// <summary>Plain torch.optim.SGD without momentum: p −= lr · (g + weightDecay · p).</summary>
public sealed class SgdOptimizer(IEnumerable<(string Name, Tensor Param)> parameters, double weightDecay = 0) : IOptimizer
{
    private readonly (string Name, Tensor Param)[] _params = parameters.ToArray();

    public string Name => "sgd";
    public int Steps { get; private set; }

    public void Step(double lr)
    {
        Steps++;
        foreach (var (_, p) in _params)
        {
            if (p.Grad is not { } g) continue;
            if (weightDecay != 0) p.Backend.Scale(p, (float)(1 - lr * weightDecay));
            p.Backend.Axpy(p, g, (float)-lr);
        }
    }

    public IEnumerable<(string Name, Tensor Tensor)> State() => [];

    public void Load(IReadOnlyDictionary<string, Tensor> state, int steps) => Steps = steps;
}

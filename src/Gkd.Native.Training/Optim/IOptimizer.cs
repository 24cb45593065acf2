using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Optim;

/// <summary>An optimizer over named f32 parameters whose gradients the tape accumulated.</summary>
public interface IOptimizer
{
    /// <summary>torch's name for it ("adamw_torch", "sgd").</summary>
    string Name { get; }

    /// <summary>Updates every parameter that has a gradient, at learning rate lr; then the caller clears gradients.</summary>
    void Step(double lr);

    /// <summary>Optimizer steps taken so far.</summary>
    int Steps { get; }

    /// <summary>The state to checkpoint (name → tensor), e.g. "exp_avg/{param}"; empty for stateless optimizers.</summary>
    IEnumerable<(string Name, Tensor Tensor)> State();

    /// <summary>Restores <see cref="State"/> and the step count from a checkpoint.</summary>
    void Load(IReadOnlyDictionary<string, Tensor> state, int steps);
}

namespace Gkd.Native.Cuda.Runtime;

/// <summary>A kernel launch failed: invalid launch shape, a trap or failed GKD_ASSERT, or (emulated) a deadlock.</summary>
public sealed class KernelLaunchException(KernelFunction function, string message)
    : Exception($"kernel {function.Module}/{function.Name}: {message}")
{
    public KernelFunction Function { get; } = function;
}

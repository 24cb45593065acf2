namespace Gkd.Native.Cuda.Runtime;

/// <summary>A compiled and loaded kernels/*.cu file.</summary>
public interface IKernelModule : IDisposable
{
    string Name { get; }

    /// <summary>The extern "C" __global__ function of that name; throws naming the module when absent.</summary>
    KernelFunction Function(string name);
}

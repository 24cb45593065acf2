using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cuda.Kernels;

/// <summary>
/// One kernels/*.cu file loaded on a runtime, with its functions looked up by name once each (a family's dtype
/// variants are picked by name at the launch).
/// </summary>
public sealed class ModuleFunctions(IKernelRuntime runtime, string file) : IDisposable
{
    private readonly IKernelModule _module = runtime.LoadModule(KernelLibrary.Get(file));
    private readonly Dictionary<string, KernelFunction> _functions = [];

    /// <summary>The extern "C" __global__ function <paramref name="name"/>; throws naming the file when absent.</summary>
    public KernelFunction this[string name]
    {
        get
        {
            lock (_functions)
            {
                if (!_functions.TryGetValue(name, out var function)) _functions[name] = function = _module.Function(name);
                return function;
            }
        }
    }

    public void Dispose() => _module.Dispose();
}

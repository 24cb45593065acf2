using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// Work captured from the runtime's stream (<see cref="CudaDriverRuntime.Capture"/>) and instantiated: launching it
/// replays every kernel, copy and GEMM with the same arguments at the cost of one launch.
/// </summary>
public sealed class CudaGraph : IDisposable
{
    private readonly CudaDriverRuntime _runtime;
    private readonly GraphHandle _graph;
    private readonly GraphExecHandle _exec;

    internal CudaGraph(CudaDriverRuntime runtime, GraphHandle graph, GraphExecHandle exec)
    {
        _runtime = runtime;
        _graph = graph;
        _exec = exec;
    }

    /// <summary>Queues one replay on the runtime's stream.</summary>
    public void Launch()
    {
        _runtime.EnsureCurrent();
        _runtime.NoteGraphLaunch();
        CudaDriver.Check(CudaDriver.cuGraphLaunch(_exec.DangerousGetHandle(), _runtime.Stream));
    }

    public void Dispose()
    {
        _exec.Dispose();
        _graph.Dispose();
    }
}

using System.Runtime.InteropServices;

namespace Gkd.Native.Cuda.Interop;

/// <summary>A retained primary context of one device; releasing it drops the retain (cuDevicePrimaryCtxRelease).</summary>
public sealed class PrimaryContextHandle : SafeHandle
{
    private PrimaryContextHandle(nint context, int device) : base(0, ownsHandle: true)
    {
        SetHandle(context);
        Device = device;
    }

    public int Device { get; }

    public override bool IsInvalid => handle == 0;

    public static PrimaryContextHandle Retain(int device)
    {
        CudaDriver.Check(CudaDriver.cuDevicePrimaryCtxRetain(out var context, device));
        return new PrimaryContextHandle(context, device);
    }

    protected override bool ReleaseHandle() => CudaDriver.cuDevicePrimaryCtxRelease(Device) == CuResult.CUDA_SUCCESS;
}

/// <summary>
/// A driver object that lives in a context (module, stream, event, graph, device memory). It holds a reference on
/// the context handle, so that even when both are finalized the context is released last; release makes the
/// context current on the releasing thread before destroying the object.
/// </summary>
public abstract class ContextBoundHandle : SafeHandle
{
    private readonly PrimaryContextHandle _context;

    protected ContextBoundHandle(PrimaryContextHandle context, nint value) : base(0, ownsHandle: true)
    {
        ArgumentOutOfRangeException.ThrowIfZero(value);
        var added = false;
        context.DangerousAddRef(ref added);
        _context = context;
        SetHandle(value);
    }

    public override bool IsInvalid => handle == 0;

    protected sealed override bool ReleaseHandle()
    {
        try
        {
            CudaDriver.cuCtxSetCurrent(_context.DangerousGetHandle());
            return Destroy(handle) == CuResult.CUDA_SUCCESS;
        }
        finally
        {
            _context.DangerousRelease();
        }
    }

    protected abstract CuResult Destroy(nint value);
}

public sealed class CuModuleHandle(PrimaryContextHandle context, nint module) : ContextBoundHandle(context, module)
{
    protected override CuResult Destroy(nint value) => CudaDriver.cuModuleUnload(value);
}

public sealed class StreamHandle(PrimaryContextHandle context, nint stream) : ContextBoundHandle(context, stream)
{
    protected override CuResult Destroy(nint value) => CudaDriver.cuStreamDestroy(value);
}

public sealed class EventHandle(PrimaryContextHandle context, nint @event) : ContextBoundHandle(context, @event)
{
    protected override CuResult Destroy(nint value) => CudaDriver.cuEventDestroy(value);
}

/// <summary>A graph captured from a stream (cuStreamEndCapture).</summary>
public sealed class GraphHandle(PrimaryContextHandle context, nint graph) : ContextBoundHandle(context, graph)
{
    protected override CuResult Destroy(nint value) => CudaDriver.cuGraphDestroy(value);
}

/// <summary>An instantiated, launchable graph (cuGraphInstantiateWithFlags).</summary>
public sealed class GraphExecHandle(PrimaryContextHandle context, nint graphExec) : ContextBoundHandle(context, graphExec)
{
    protected override CuResult Destroy(nint value) => CudaDriver.cuGraphExecDestroy(value);
}

/// <summary>Device memory from cuMemAlloc, freed with cuMemFree (for long-lived buffers such as cuBLAS's workspace).</summary>
public sealed class DeviceMemoryHandle(PrimaryContextHandle context, ulong address, long bytes)
    : ContextBoundHandle(context, (nint)address)
{
    public ulong Address => (ulong)handle;

    public long Bytes { get; } = bytes;

    protected override CuResult Destroy(nint value) => CudaDriver.cuMemFree((ulong)value);
}

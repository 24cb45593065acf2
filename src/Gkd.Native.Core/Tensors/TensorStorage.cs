using Gkd.Native.Core.Backends;

namespace Gkd.Native.Core.Tensors;

/// <summary>
/// A block of backend-owned memory shared by one or more <see cref="Tensor"/> handles. Reference-counted: each
/// handle holds one reference and the memory is released when the last handle is disposed.
/// </summary>
public abstract class TensorStorage
{
    private int _refs = 1;

    protected TensorStorage(IBackend backend, long byteLength)
    {
        Backend = backend;
        ByteLength = byteLength;
    }

    public IBackend Backend { get; }
    public long ByteLength { get; }
    public bool IsReleased => Volatile.Read(ref _refs) <= 0;

    internal void AddRef()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
            throw new ObjectDisposedException(nameof(TensorStorage), "storage was already released");
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0) Free();
    }

    /// <summary>Returns the memory to the backend (called once, when the last reference goes).</summary>
    protected abstract void Free();
}

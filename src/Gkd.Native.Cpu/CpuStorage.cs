using System.Runtime.InteropServices;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Cpu;

/// <summary>64-byte aligned native memory; the GC is told its size, and a finalizer frees it if a tensor leaks.</summary>
internal sealed unsafe class CpuStorage : TensorStorage
{
    private nint _ptr;

    public CpuStorage(IBackend backend, long byteLength) : base(backend, byteLength)
    {
        _ptr = (nint)NativeMemory.AlignedAlloc((nuint)Math.Max(byteLength, 1), 64);
        if (byteLength > 0) GC.AddMemoryPressure(byteLength);
    }

    public byte* Pointer => (byte*)_ptr;

    protected override void Free()
    {
        var p = Interlocked.Exchange(ref _ptr, 0);
        if (p == 0) return;
        NativeMemory.AlignedFree((void*)p);
        if (ByteLength > 0) GC.RemoveMemoryPressure(ByteLength);
        GC.SuppressFinalize(this);
    }

    ~CpuStorage() => Free();
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Tests.Cuda.Emulation;

/// <summary>Typed uploads and downloads on a kernel runtime, for tests.</summary>
public static class DeviceArrays
{
    public static DevicePtr Upload<T>(this IKernelRuntime runtime, ReadOnlySpan<T> values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        var ptr = runtime.Allocate(Math.Max(bytes.Length, 1));
        runtime.CopyToDevice(ptr, bytes);
        return ptr;
    }

    public static DevicePtr Upload<T>(this IKernelRuntime runtime, T[] values) where T : unmanaged =>
        runtime.Upload((ReadOnlySpan<T>)values);

    /// <summary>Room for <paramref name="count"/> elements, zeroed.</summary>
    public static DevicePtr Zeros<T>(this IKernelRuntime runtime, long count) where T : unmanaged
    {
        var bytes = Math.Max(count * Unsafe.SizeOf<T>(), 1);
        var ptr = runtime.Allocate(bytes);
        runtime.Memset(ptr, 0, bytes);
        return ptr;
    }

    public static T[] Download<T>(this IKernelRuntime runtime, DevicePtr ptr, int count) where T : unmanaged
    {
        var values = new T[count];
        runtime.CopyToHost(MemoryMarshal.AsBytes(values.AsSpan()), ptr);
        return values;
    }
}

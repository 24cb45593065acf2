using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// A launch's arguments as cuLaunchKernel's kernelParams, built on the stack without allocating: one 8-byte slot per
/// parameter in the kernel's order, and <see cref="Pointers"/> pointing at each slot. Every launcher uses it for both
/// runtimes:
/// <code>
/// var args = new KernelArgs();
/// args.Add(output).Add(input).Add(n);
/// args.Launch(runtime, function, grid, block);   // or runtime.Launch(function, grid, block, 0, args.Pointers)
/// </code>
/// Each Add must match the kernel parameter's C type in size: DevicePtr for any pointer, int / uint for int32 /
/// uint32, long / ulong for int64 / uint64, float for float. At most <see cref="Capacity"/> parameters.
/// </summary>
public unsafe ref struct KernelArgs
{
    public const int Capacity = 16;

    private Slots _values;
    private Slots _pointers;
    private int _count;

    public readonly int Count => _count;

    [UnscopedRef]
    public ref KernelArgs Add(DevicePtr value) => ref Put(value.Address);

    [UnscopedRef]
    public ref KernelArgs Add(int value) => ref Put((uint)value);

    [UnscopedRef]
    public ref KernelArgs Add(uint value) => ref Put(value);

    [UnscopedRef]
    public ref KernelArgs Add(long value) => ref Put((ulong)value);

    [UnscopedRef]
    public ref KernelArgs Add(ulong value) => ref Put(value);

    [UnscopedRef]
    public ref KernelArgs Add(float value) => ref Put(BitConverter.SingleToUInt32Bits(value));

    /// <summary>The kernelParams array; valid while this value lives (it points into it), so take it at the launch.</summary>
    public void** Pointers
    {
        get
        {
            for (var i = 0; i < _count; i++) _pointers[i] = (ulong)Unsafe.AsPointer(ref _values[i]);
            return (void**)Unsafe.AsPointer(ref _pointers[0]);
        }
    }

    /// <summary>Launches <paramref name="function"/> with these arguments (no unsafe code needed at the call).</summary>
    public void Launch(IKernelRuntime runtime, KernelFunction function, Dim3 grid, Dim3 block, int dynamicSharedBytes = 0) =>
        runtime.Launch(function, grid, block, dynamicSharedBytes, Pointers);

    [UnscopedRef]
    private ref KernelArgs Put(ulong bits)
    {
        if (_count == Capacity) throw new InvalidOperationException($"a kernel launch takes at most {Capacity} arguments");
        _values[_count++] = bits;
        return ref this;
    }

    /// <summary>Little-endian 8-byte slots: a 4-byte value sits in the low half, where a pointer to it reads it.</summary>
    [InlineArray(Capacity)]
    private struct Slots
    {
        private ulong _element;
    }
}

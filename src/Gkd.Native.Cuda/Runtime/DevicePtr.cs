namespace Gkd.Native.Cuda.Runtime;

/// <summary>An address in a kernel runtime's memory (a CUdeviceptr on the GPU, a host address under emulation).</summary>
public readonly record struct DevicePtr(ulong Address)
{
    public static DevicePtr Null => default;
    public bool IsNull => Address == 0;
    public DevicePtr Offset(long bytes) => new(checked((ulong)((long)Address + bytes)));
    public override string ToString() => $"0x{Address:x}";
}

using System.Runtime.InteropServices;
using System.Text;
using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>The GPU a <see cref="CudaDriverRuntime"/> runs on, and the versions of the libraries it drives it with.</summary>
public sealed record DeviceInfo(
    int Ordinal,
    string Name,
    int ComputeCapabilityMajor,
    int ComputeCapabilityMinor,
    int MultiprocessorCount,
    long L2CacheBytes,
    int MaxSharedMemoryPerBlockOptin,
    long TotalMemoryBytes,
    bool MemoryPoolsSupported,
    Version DriverVersion,
    Version NvrtcVersion,
    Version CublasVersion)
{
    /// <summary>major·10 + minor, e.g. 90 for sm_90.</summary>
    public int ComputeCapability => ComputeCapabilityMajor * 10 + ComputeCapabilityMinor;

    /// <summary>Reads device <paramref name="ordinal"/>'s properties; cuInit must have succeeded.</summary>
    public static unsafe DeviceInfo Query(int ordinal, Version nvrtcVersion, Version cublasVersion)
    {
        CudaDriver.Check(CudaDriver.cuDeviceGet(out var device, ordinal));
        var name = stackalloc byte[256];
        CudaDriver.Check(CudaDriver.cuDeviceGetName(name, 256, device));
        CudaDriver.Check(CudaDriver.cuDeviceTotalMem(out var totalMemory, device));
        CudaDriver.Check(CudaDriver.cuDriverGetVersion(out var driver));

        int Attribute(CuDeviceAttribute attribute)
        {
            CudaDriver.Check(CudaDriver.cuDeviceGetAttribute(out var value, attribute, device));
            return value;
        }

        return new DeviceInfo(
            ordinal,
            Marshal.PtrToStringUTF8((nint)name) ?? "",
            Attribute(CuDeviceAttribute.ComputeCapabilityMajor),
            Attribute(CuDeviceAttribute.ComputeCapabilityMinor),
            Attribute(CuDeviceAttribute.MultiprocessorCount),
            Attribute(CuDeviceAttribute.L2CacheSize),
            Attribute(CuDeviceAttribute.MaxSharedMemoryPerBlockOptin),
            (long)totalMemory,
            Attribute(CuDeviceAttribute.MemoryPoolsSupported) != 0,
            DriverApiVersion(driver),
            nvrtcVersion,
            cublasVersion);
    }

    /// <summary>cuDriverGetVersion's 1000·major + 10·minor (13000 → 13.0, 12040 → 12.4).</summary>
    public static Version DriverApiVersion(int encoded) => new(encoded / 1000, encoded % 1000 / 10);

    public override string ToString() => new StringBuilder()
        .Append($"{Name} (sm_{ComputeCapability}, {MultiprocessorCount} SMs, ")
        .Append($"{TotalMemoryBytes / (double)(1L << 30):F1} GiB, L2 {L2CacheBytes >> 20} MiB, ")
        .Append($"shared memory per block up to {MaxSharedMemoryPerBlockOptin >> 10} KiB; ")
        .Append($"driver {DriverVersion}, NVRTC {NvrtcVersion}, cuBLAS {CublasVersion})")
        .ToString();
}

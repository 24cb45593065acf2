namespace Gkd.Native.Cuda.Interop;

/// <summary>CUdevice_attribute values the runtime reads (cuda.h numbering).</summary>
public enum CuDeviceAttribute
{
    MaxThreadsPerBlock = 1,
    MaxSharedMemoryPerBlock = 8,
    WarpSize = 10,
    MultiprocessorCount = 16,
    L2CacheSize = 38,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
    MaxSharedMemoryPerMultiprocessor = 81,
    MaxSharedMemoryPerBlockOptin = 97,
    MemoryPoolsSupported = 115,
}

/// <summary>CUfunction_attribute values (cuda.h numbering).</summary>
public enum CuFunctionAttribute
{
    MaxThreadsPerBlock = 0,
    SharedSizeBytes = 1,
    ConstSizeBytes = 2,
    LocalSizeBytes = 3,
    NumRegs = 4,
    PtxVersion = 5,
    BinaryVersion = 6,
    MaxDynamicSharedSizeBytes = 8,
}

/// <summary>CUjit_option values used when loading a module (cuda.h numbering).</summary>
public enum CuJitOption
{
    ErrorLogBuffer = 5,
    ErrorLogBufferSizeBytes = 6,
}

/// <summary>CUmemPool_attribute values the runtime uses; each value is a cuuint64_t.</summary>
public enum CuMemPoolAttribute
{
    /// <summary>Bytes the pool keeps reserved at a synchronisation instead of returning them to the OS.</summary>
    ReleaseThreshold = 4,
    ReservedMemCurrent = 5,
    ReservedMemHigh = 6,
    UsedMemCurrent = 7,

    /// <summary>The most bytes in use at once since the last reset (which can only set it to zero).</summary>
    UsedMemHigh = 8,
}

/// <summary>CUstreamCaptureMode.</summary>
public enum CuStreamCaptureMode
{
    Global = 0,
    ThreadLocal = 1,
    Relaxed = 2,
}

/// <summary>Flags of cuStreamCreate and cuEventCreate.</summary>
public static class CuFlags
{
    public const uint StreamNonBlocking = 0x1;
    public const uint EventDefault = 0x0;
    public const uint EventDisableTiming = 0x2;
}

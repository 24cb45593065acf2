namespace Gkd.Native.Cuda.Runtime;

public enum KernelImageKind
{
    /// <summary>Machine code for one architecture.</summary>
    Cubin,

    /// <summary>PTX text, NUL-terminated as cuModuleLoadData expects.</summary>
    Ptx,
}

/// <summary>A compiled kernel file as the driver loads it.</summary>
public sealed record KernelImage(KernelImageKind Kind, byte[] Bytes);

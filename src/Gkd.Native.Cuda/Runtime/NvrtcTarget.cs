using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// What NVRTC compiles a kernel file for: a real architecture ("sm_90a", "sm_80") compiled to CUBIN, or — when this
/// NVRTC is older than the device — the newest virtual architecture it knows ("compute_90") as PTX, which the
/// driver JIT-compiles for the device.
/// </summary>
public sealed record NvrtcTarget(string Architecture)
{
    public KernelImageKind ImageKind =>
        Architecture.StartsWith("sm_", StringComparison.Ordinal) ? KernelImageKind.Cubin : KernelImageKind.Ptx;

    /// <summary>
    /// The target for a device of compute capability <paramref name="computeCapability"/> (major·10 + minor) given the
    /// architectures <paramref name="supported"/> by NVRTC <paramref name="nvrtcVersion"/> (nvrtcGetSupportedArchs).
    /// Hopper (9.0) gets the arch-specific sm_90a so that kernels may use wgmma/TMA behind
    /// __CUDA_ARCH_FEAT_SM90_ALL; sm_90a exists from NVRTC 12.0.
    /// </summary>
    public static NvrtcTarget Choose(int computeCapability, IReadOnlyList<int> supported, Version nvrtcVersion)
    {
        if (supported.Contains(computeCapability))
        {
            var specific = computeCapability == 90 && nvrtcVersion.Major >= 12 ? "a" : "";
            return new NvrtcTarget($"sm_{computeCapability}{specific}");
        }
        var older = supported.Where(a => a < computeCapability).ToList();
        if (older.Count > 0) return new NvrtcTarget($"compute_{older.Max()}");
        throw new CudaUnavailableException(
            $"NVRTC {nvrtcVersion} compiles for sm_{string.Join(", sm_", supported)}, none of which runs on this "
            + $"sm_{computeCapability} device; use an NVRTC (CUDA toolkit) that still supports it.");
    }

    /// <summary>The NVRTC options every kernel file is compiled with.</summary>
    public IReadOnlyList<string> Options() =>
        [$"--gpu-architecture={Architecture}", "-default-device", "-std=c++17", "-lineinfo", "-DGKD_CUDA=1"];

    public override string ToString() => Architecture;
}

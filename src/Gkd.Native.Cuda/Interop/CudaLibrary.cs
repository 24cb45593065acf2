namespace Gkd.Native.Cuda.Interop;

/// <summary>The native libraries the CUDA backend binds, each found by <see cref="LibraryResolver"/>.</summary>
public enum CudaLibrary
{
    /// <summary>The CUDA driver API (libcuda.so.1), installed with the NVIDIA driver, never with a toolkit.</summary>
    Driver,

    /// <summary>Runtime compilation of CUDA C++ to PTX/CUBIN (libnvrtc.so.13 / .12).</summary>
    Nvrtc,

    /// <summary>cuBLAS (libcublas.so.13 / .12).</summary>
    Cublas,

    /// <summary>cuBLASLt (libcublasLt.so.13 / .12): cuBLAS's own dependency, loaded from cuBLAS's directory first.</summary>
    CublasLt,
}

public static class CudaLibraryInfo
{
    /// <summary>The name each binding class gives <c>LibraryImport</c>; the resolver maps it to a file.</summary>
    public static string ImportName(this CudaLibrary library) => library switch
    {
        CudaLibrary.Driver => CudaDriver.Library,
        CudaLibrary.Nvrtc => Nvrtc.Library,
        CudaLibrary.Cublas => Cublas.Library,
        CudaLibrary.CublasLt => "libcublasLt",
        _ => throw new ArgumentOutOfRangeException(nameof(library), library, null),
    };

    public static bool TryParseImportName(string name, out CudaLibrary library)
    {
        foreach (var candidate in Enum.GetValues<CudaLibrary>())
        {
            if (candidate.ImportName() != name) continue;
            library = candidate;
            return true;
        }
        library = default;
        return false;
    }

    /// <summary>File names to try, the newest major version first (13 before 12), the unversioned name last.</summary>
    public static IReadOnlyList<string> FileNames(this CudaLibrary library) => library switch
    {
        CudaLibrary.Driver => ["libcuda.so.1", "libcuda.so"],
        CudaLibrary.Nvrtc => ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"],
        CudaLibrary.Cublas => ["libcublas.so.13", "libcublas.so.12", "libcublas.so"],
        CudaLibrary.CublasLt => ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"],
        _ => throw new ArgumentOutOfRangeException(nameof(library), library, null),
    };

    /// <summary>
    /// Libraries that must be loaded from the same directory before this one, so that its own dependency lookup
    /// (which may not search that directory) finds them already loaded by soname: cuBLAS needs cuBLASLt, and NVRTC
    /// opens libnvrtc-builtins.so.MAJOR.MINOR at compile time. Each entry is a file-name prefix; the major version of
    /// the file being loaded is appended (e.g. "libnvrtc-builtins.so." + "13").
    /// </summary>
    public static IReadOnlyList<string> CompanionPrefixes(this CudaLibrary library) => library switch
    {
        CudaLibrary.Cublas => ["libcublasLt.so."],
        CudaLibrary.Nvrtc => ["libnvrtc-builtins.so."],
        _ => [],
    };

    public static string DisplayName(this CudaLibrary library) => library switch
    {
        CudaLibrary.Driver => "the CUDA driver",
        CudaLibrary.Nvrtc => "NVRTC",
        CudaLibrary.Cublas => "cuBLAS",
        CudaLibrary.CublasLt => "cuBLASLt",
        _ => throw new ArgumentOutOfRangeException(nameof(library), library, null),
    };

    /// <summary>What a user can install or set when the library is missing.</summary>
    public static string InstallHint(this CudaLibrary library) => library switch
    {
        CudaLibrary.Driver =>
            "Install the NVIDIA driver for the GPU (it provides libcuda.so.1; a CUDA toolkit or pip wheel cannot), "
            + "or, if it is installed in an unusual place, add that directory to LD_LIBRARY_PATH. "
            + "A machine without an NVIDIA GPU cannot use --device cuda; use --device cpu.",
        CudaLibrary.Nvrtc =>
            "Install the CUDA toolkit and set CUDA_PATH to it (or add its lib64 to LD_LIBRARY_PATH), "
            + "or pip install nvidia-cuda-nvrtc (CUDA 13) / nvidia-cuda-nvrtc-cu12 (CUDA 12).",
        CudaLibrary.Cublas or CudaLibrary.CublasLt =>
            "Install the CUDA toolkit and set CUDA_PATH to it (or add its lib64 to LD_LIBRARY_PATH), "
            + "or pip install nvidia-cublas (CUDA 13) / nvidia-cublas-cu12 (CUDA 12).",
        _ => throw new ArgumentOutOfRangeException(nameof(library), library, null),
    };
}

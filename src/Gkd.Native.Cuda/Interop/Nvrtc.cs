using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gkd.Native.Cuda.Interop;

/// <summary>NVRTC (libnvrtc.so.13 / .12): compiles CUDA C++ source text to PTX or CUBIN at run time.</summary>
public static unsafe partial class Nvrtc
{
    public const string Library = "libnvrtc";

    static Nvrtc() => LibraryResolver.Register();

    [LibraryImport(Library)] public static partial NvrtcResult nvrtcVersion(out int major, out int minor);
    [LibraryImport(Library)] public static partial NvrtcResult nvrtcGetNumSupportedArchs(out int count);
    [LibraryImport(Library)] public static partial NvrtcResult nvrtcGetSupportedArchs(int* archs);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial NvrtcResult nvrtcCreateProgram(out nint program, string source, string name,
        int numHeaders, byte** headers, byte** includeNames);

    [LibraryImport(Library)] public static partial NvrtcResult nvrtcDestroyProgram(ref nint program);
    [LibraryImport(Library)] public static partial NvrtcResult nvrtcCompileProgram(nint program, int numOptions, byte** options);
    [LibraryImport(Library)] public static partial NvrtcResult nvrtcGetProgramLogSize(nint program, out nuint size);
    [LibraryImport(Library)] public static partial NvrtcResult nvrtcGetProgramLog(nint program, byte* log);
    [LibraryImport(Library)] public static partial NvrtcResult nvrtcGetPTXSize(nint program, out nuint size);
    [LibraryImport(Library)] public static partial NvrtcResult nvrtcGetPTX(nint program, byte* ptx);
    [LibraryImport(Library, EntryPoint = "nvrtcGetCUBINSize")] public static partial NvrtcResult nvrtcGetCubinSize(nint program, out nuint size);
    [LibraryImport(Library, EntryPoint = "nvrtcGetCUBIN")] public static partial NvrtcResult nvrtcGetCubin(nint program, byte* cubin);
    [LibraryImport(Library)] public static partial byte* nvrtcGetErrorString(NvrtcResult result);

    /// <summary>Throws <see cref="CudaException"/> unless <paramref name="status"/> is NVRTC_SUCCESS.</summary>
    public static void Check(NvrtcResult status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != NvrtcResult.NVRTC_SUCCESS) throw Failure(status, call);
    }

    public static CudaException Failure(NvrtcResult status, string call, string? context = null) =>
        new(CudaException.CallName(call), (int)status, StatusName(status), null, context);

    /// <summary>The C name of a status (NVRTC's own error string is that same name).</summary>
    public static string StatusName(NvrtcResult status)
    {
        if (Enum.IsDefined(status)) return status.ToString();
        if (!LibraryResolver.Shared.IsLoaded(CudaLibrary.Nvrtc)) return $"nvrtcResult {(int)status}";
        return Marshal.PtrToStringUTF8((nint)nvrtcGetErrorString(status)) ?? $"nvrtcResult {(int)status}";
    }
}

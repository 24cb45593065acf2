using System.Text;
using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>Compiles kernel files with NVRTC (which must already be loadable: see <see cref="LibraryResolver"/>).</summary>
public sealed unsafe class NvrtcCompiler
{
    public NvrtcCompiler()
    {
        Nvrtc.Check(Nvrtc.nvrtcVersion(out var major, out var minor));
        Version = new Version(major, minor);
        Nvrtc.Check(Nvrtc.nvrtcGetNumSupportedArchs(out var count));
        var archs = new int[count];
        fixed (int* p = archs) Nvrtc.Check(Nvrtc.nvrtcGetSupportedArchs(p));
        SupportedArchitectures = archs;
    }

    public Version Version { get; }

    /// <summary>Compute capabilities this NVRTC can target (major·10 + minor), ascending.</summary>
    public IReadOnlyList<int> SupportedArchitectures { get; }

    /// <summary>
    /// Compiles <paramref name="source"/> as "{name}.cu" (the name NVRTC's log cites); NVRTC's errors raise
    /// <see cref="KernelCompileException"/> with that log.
    /// </summary>
    public KernelImage Compile(KernelSource source, IReadOnlyList<string> options, KernelImageKind kind)
    {
        var file = source.Name + ".cu";
        using var program = NvrtcProgramHandle.Create(source.Text, file);
        var handle = program.DangerousGetHandle();
        using var arguments = new Utf8StringArray(options);
        var status = Nvrtc.nvrtcCompileProgram(handle, arguments.Count, arguments.Pointers);
        if (status == NvrtcResult.NVRTC_ERROR_COMPILATION)
            throw new KernelCompileException(source.Name, $"NVRTC {Version} ({string.Join(' ', options)})", Log(handle).TrimEnd());
        if (status != NvrtcResult.NVRTC_SUCCESS)
            throw Nvrtc.Failure(status, "nvrtcCompileProgram", $"compiling {file}; log: {Log(handle)}");
        return new KernelImage(kind, kind == KernelImageKind.Cubin ? Cubin(handle) : Ptx(handle));
    }

    private static string Log(nint program)
    {
        Nvrtc.Check(Nvrtc.nvrtcGetProgramLogSize(program, out var size));
        var log = new byte[(int)size];
        fixed (byte* p = log) Nvrtc.Check(Nvrtc.nvrtcGetProgramLog(program, p));
        return Encoding.UTF8.GetString(log).TrimEnd('\0');
    }

    private static byte[] Cubin(nint program)
    {
        Nvrtc.Check(Nvrtc.nvrtcGetCubinSize(program, out var size));
        var cubin = new byte[(int)size];
        fixed (byte* p = cubin) Nvrtc.Check(Nvrtc.nvrtcGetCubin(program, p));
        return cubin;
    }

    /// <summary>The PTX text with its terminating NUL (nvrtcGetPTXSize counts it).</summary>
    private static byte[] Ptx(nint program)
    {
        Nvrtc.Check(Nvrtc.nvrtcGetPTXSize(program, out var size));
        var ptx = new byte[(int)size];
        fixed (byte* p = ptx) Nvrtc.Check(Nvrtc.nvrtcGetPTX(program, p));
        return ptx;
    }
}

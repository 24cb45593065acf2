using System.Runtime.InteropServices;

namespace Gkd.Native.Cuda.Interop;

/// <summary>An NVRTC program (nvrtcCreateProgram … nvrtcDestroyProgram).</summary>
public sealed class NvrtcProgramHandle : SafeHandle
{
    private NvrtcProgramHandle(nint program) : base(0, ownsHandle: true) => SetHandle(program);

    public override bool IsInvalid => handle == 0;

    /// <summary>A program over <paramref name="source"/>; <paramref name="name"/> is the file name errors cite.</summary>
    public static unsafe NvrtcProgramHandle Create(string source, string name)
    {
        Nvrtc.Check(Nvrtc.nvrtcCreateProgram(out var program, source, name, 0, null, null));
        return new NvrtcProgramHandle(program);
    }

    protected override bool ReleaseHandle()
    {
        var program = handle;
        return Nvrtc.nvrtcDestroyProgram(ref program) == NvrtcResult.NVRTC_SUCCESS;
    }
}

namespace Gkd.Native.Cuda.Runtime;

/// <summary>A kernel entry point in a loaded module (a CUfunction, or the emulation library's launch trampoline).</summary>
public sealed record KernelFunction(string Module, string Name, nint Handle);

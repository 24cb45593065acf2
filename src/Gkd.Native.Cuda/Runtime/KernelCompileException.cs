namespace Gkd.Native.Cuda.Runtime;

/// <summary>A kernel file failed to compile (NVRTC, or g++ for the CPU emulation); carries the compiler's log.</summary>
public sealed class KernelCompileException(string kernel, string compiler, string log)
    : Exception($"kernel '{kernel}' failed to compile with {compiler}:\n{log}")
{
    /// <summary>The kernel file's name without ".cu" ("cast").</summary>
    public string Kernel { get; } = kernel;

    public string Log { get; } = log;
}

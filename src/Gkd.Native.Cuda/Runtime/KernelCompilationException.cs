namespace Gkd.Native.Cuda.Runtime;

/// <summary>NVRTC rejected a kernel file; the message carries the file name, the options and NVRTC's log.</summary>
public sealed class KernelCompilationException : Exception
{
    public KernelCompilationException(string file, IReadOnlyList<string> options, string log)
        : base($"NVRTC could not compile {file} ({string.Join(' ', options)}):\n{log.TrimEnd()}")
    {
        File = file;
        Log = log;
    }

    /// <summary>The kernel file, e.g. "rmsnorm.cu".</summary>
    public string File { get; }

    public string Log { get; }
}

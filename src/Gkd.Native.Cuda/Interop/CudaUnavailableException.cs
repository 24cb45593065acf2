namespace Gkd.Native.Cuda.Interop;

/// <summary>
/// The CUDA backend cannot run on this machine: a library is missing or unloadable, there is no GPU, or the driver
/// refuses to start. The message says what was tried and what to install or set.
/// </summary>
public sealed class CudaUnavailableException : Exception
{
    public CudaUnavailableException(string message) : base(message) { }

    public CudaUnavailableException(string message, Exception inner) : base(message, inner) { }
}

namespace Gkd.Native.Cuda.Interop;

/// <summary>
/// A CUDA driver, NVRTC or cuBLAS call returned an error status. The message names the call and the status, e.g.
/// "cuModuleLoadData failed: CUDA_ERROR_INVALID_PTX (a PTX JIT compilation failed)", followed by what we were doing.
/// </summary>
public sealed class CudaException : Exception
{
    public CudaException(string call, int status, string statusName, string? description, string? context = null)
        : base(Format(call, statusName, description, context))
    {
        Call = call;
        Status = status;
        StatusName = statusName;
    }

    /// <summary>The API function, e.g. "cuLaunchKernel".</summary>
    public string Call { get; }

    /// <summary>The raw status code (CUresult, nvrtcResult or cublasStatus_t).</summary>
    public int Status { get; }

    /// <summary>The status's C name, e.g. "CUDA_ERROR_ILLEGAL_ADDRESS".</summary>
    public string StatusName { get; }

    public static string Format(string call, string statusName, string? description, string? context = null)
    {
        var message = string.IsNullOrEmpty(description) || description == statusName
            ? $"{call} failed: {statusName}"
            : $"{call} failed: {statusName} ({description})";
        return string.IsNullOrEmpty(context) ? message : $"{message} — {context}";
    }

    /// <summary>
    /// The function name in a call expression as the compiler captured it, e.g. "cuMemAlloc" from
    /// "CudaDriver.cuMemAlloc(out var ptr, (nuint)bytes)"; a plain name is returned as is.
    /// </summary>
    public static string CallName(string expression)
    {
        var open = expression.IndexOf('(', StringComparison.Ordinal);
        var head = (open < 0 ? expression : expression[..open]).Trim();
        var dot = head.LastIndexOf('.');
        return dot < 0 ? head : head[(dot + 1)..];
    }
}

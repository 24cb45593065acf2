using System.Runtime.InteropServices;
using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>A kernel file loaded into the runtime's context (cuModuleLoadDataEx); its functions by name.</summary>
internal sealed unsafe class CudaModule : IKernelModule
{
    private const int JitLogBytes = 16 << 10;

    private readonly CudaDriverRuntime _runtime;
    private readonly CuModuleHandle _handle;
    private readonly Dictionary<string, KernelFunction> _functions = [];

    private CudaModule(CudaDriverRuntime runtime, string name, CuModuleHandle handle)
    {
        _runtime = runtime;
        Name = name;
        _handle = handle;
    }

    public string Name { get; }

    /// <summary>Loads <paramref name="image"/>; the context must be current. PTX JIT errors come back in the message.</summary>
    public static CudaModule Load(CudaDriverRuntime runtime, PrimaryContextHandle context, string name, KernelImage image)
    {
        var bytes = image.Kind == KernelImageKind.Ptx && (image.Bytes.Length == 0 || image.Bytes[^1] != 0)
            ? [.. image.Bytes, (byte)0]
            : image.Bytes;
        var log = stackalloc byte[JitLogBytes];
        log[0] = 0;
        var options = stackalloc CuJitOption[] { CuJitOption.ErrorLogBuffer, CuJitOption.ErrorLogBufferSizeBytes };
        var values = stackalloc void*[] { log, (void*)JitLogBytes };
        CuResult status;
        nint module;
        fixed (byte* data = bytes) status = CudaDriver.cuModuleLoadDataEx(out module, data, 2, options, values);
        if (status != CuResult.CUDA_SUCCESS)
        {
            var jit = (Marshal.PtrToStringUTF8((nint)log) ?? "").Trim();
            var what = $"loading {name}.cu as {image.Kind}{(jit.Length > 0 ? $"; JIT log:\n{jit}" : "")}";
            throw CudaDriver.Failure(status, "cuModuleLoadDataEx", what);
        }
        return new CudaModule(runtime, name, new CuModuleHandle(context, module));
    }

    public KernelFunction Function(string name)
    {
        lock (_functions)
        {
            if (_functions.TryGetValue(name, out var known)) return known;
            _runtime.EnsureCurrent();
            var status = CudaDriver.cuModuleGetFunction(out var function, _handle.DangerousGetHandle(), name);
            if (status != CuResult.CUDA_SUCCESS)
                throw CudaDriver.Failure(status, "cuModuleGetFunction",
                    $"no kernel '{name}' in module '{Name}' (kernels must be extern \"C\" __global__)");
            return _functions[name] = new KernelFunction(Name, name, function);
        }
    }

    public void Dispose() => _handle.Dispose();
}

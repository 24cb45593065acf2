using System.Runtime.InteropServices;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// A kernel file's emulation library, loaded: each kernel's launch trampoline (<c>gkd_emu_launch_{name}</c>) is its
/// <see cref="KernelFunction.Handle"/>. Disposing unloads the library (its worker threads stop).
/// </summary>
internal sealed unsafe class EmulatedModule : IKernelModule
{
    private readonly EmulatedRuntime _runtime;
    private readonly delegate* unmanaged<byte*> _lastError;
    private nint _library;

    public EmulatedModule(EmulatedRuntime runtime, string name, string libraryPath)
    {
        _runtime = runtime;
        Name = name;
        LibraryPath = libraryPath;
        _library = NativeLibrary.Load(libraryPath);
        _lastError = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(_library, "gkd_emu_last_error");
    }

    public string Name { get; }

    public string LibraryPath { get; }

    /// <summary>The calling thread's message for its last failed launch in this library.</summary>
    public string LastError => Marshal.PtrToStringUTF8((nint)_lastError()) ?? "";

    public KernelFunction Function(string name)
    {
        ObjectDisposedException.ThrowIf(_library == 0, this);
        if (!NativeLibrary.TryGetExport(_library, "gkd_emu_launch_" + name, out var trampoline))
            throw new ArgumentException($"kernel module '{Name}' has no extern \"C\" __global__ function '{name}'", nameof(name));
        var function = new KernelFunction(Name, name, trampoline);
        _runtime.Register(function, this);
        return function;
    }

    public void Dispose()
    {
        if (_library == 0) return;
        _runtime.Unregister(this);
        NativeLibrary.Free(_library);
        _library = 0;
    }
}

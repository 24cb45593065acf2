using System.Runtime.InteropServices;
using System.Text;

namespace Gkd.Native.Cuda.Interop;

/// <summary>A native <c>const char* const*</c> of NUL-terminated UTF-8 strings (NVRTC's option list).</summary>
public sealed unsafe class Utf8StringArray : IDisposable
{
    private byte** _pointers;

    public Utf8StringArray(IReadOnlyList<string> strings)
    {
        Count = strings.Count;
        _pointers = (byte**)NativeMemory.AllocZeroed((nuint)Math.Max(Count, 1), (nuint)sizeof(byte*));
        for (var i = 0; i < Count; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(strings[i]);
            var text = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
            bytes.CopyTo(new Span<byte>(text, bytes.Length));
            text[bytes.Length] = 0;
            _pointers[i] = text;
        }
    }

    public int Count { get; }

    public byte** Pointers => _pointers != null ? _pointers : throw new ObjectDisposedException(nameof(Utf8StringArray));

    public void Dispose()
    {
        if (_pointers == null) return;
        for (var i = 0; i < Count; i++) NativeMemory.Free(_pointers[i]);
        NativeMemory.Free(_pointers);
        _pointers = null;
    }
}

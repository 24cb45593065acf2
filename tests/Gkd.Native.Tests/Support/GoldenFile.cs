using System.Globalization;
using System.Runtime.InteropServices;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Tests.Support;

/// <summary>A golden safetensors file written by tests/Reference/make_golden.py.</summary>
public sealed class GoldenFile : IDisposable
{
    private readonly SafetensorsFile _file;

    public GoldenFile(params string[] relativePath) => _file = SafetensorsFile.Open(TestPaths.Golden(relativePath));

    public bool Contains(string name) => _file.Contains(name);

    public Shape ShapeOf(string name) => _file.Entry(name).Shape;

    /// <summary>The named tensor's values as f32 (bf16 widened).</summary>
    public float[] F32(string name)
    {
        var entry = _file.Entry(name);
        var bytes = _file.Bytes(entry);
        return entry.DType switch
        {
            DType.F32 => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
            DType.BF16 => MemoryMarshal.Cast<byte, ushort>(bytes).ToArray().Select(BFloat16Bits.ToSingle).ToArray(),
            _ => throw new InvalidDataException($"{name} is {entry.DType}, expected a float tensor"),
        };
    }

    public int[] I32(string name) => MemoryMarshal.Cast<byte, int>(_file.Bytes(_file.Entry(name))).ToArray();

    /// <summary>The named tensor on a backend, in its stored dtype.</summary>
    public Tensor Load(IBackend backend, string name) => _file.Load(backend, name);

    public double Meta(string key) => double.Parse(_file.Metadata[key], CultureInfo.InvariantCulture);

    public void Dispose() => _file.Dispose();
}

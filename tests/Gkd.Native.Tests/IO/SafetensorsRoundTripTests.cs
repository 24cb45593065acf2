using System.Runtime.InteropServices;
using System.Text;
using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cpu;
using NUnit.Framework;

namespace Gkd.Native.Tests.IO;

public class SafetensorsRoundTripTests
{
    private readonly CpuBackend _backend = new(2);

    private static byte[] RandomBytes(Random random, long count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    [Test]
    public void Every_supported_dtype_round_trips_with_odd_shapes_and_metadata()
    {
        var random = new Random(1234);
        var cases = new (string Name, DType DType, Shape Shape)[]
        {
            ("layers.0.f32", DType.F32, new Shape(3, 5, 7)),
            ("layers.0.bf16", DType.BF16, new Shape(1, 13)),
            ("f16.odd", DType.F16, new Shape(11)),
            ("i32.ids", DType.I32, new Shape(17, 1)),
            ("scalar", DType.F32, new Shape()),
            ("empty", DType.BF16, new Shape(0, 9)),
        };
        var data = cases.ToDictionary(c => c.Name, c => RandomBytes(random, c.Shape.Numel * c.DType.Size()));
        var writer = new SafetensorsWriter().AddMetadata("format", "pt").AddMetadata("note", "grüße, \"quoted\"");
        foreach (var c in cases) writer.Add(c.Name, c.DType, c.Shape, data[c.Name]);
        var path = Path.Combine(Support.TestPaths.TempDir("roundtrip"), "model.safetensors");
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Metadata, Is.EquivalentTo(new Dictionary<string, string> { ["format"] = "pt", ["note"] = "grüße, \"quoted\"" }));
        Assert.That(file.Header.HeaderLength % 8, Is.Zero);
        Assert.That(file.Entries.Select(e => e.Name), Is.EqualTo(cases.Select(c => c.Name).Order(StringComparer.Ordinal)),
            "data is laid out in ordinal name order");
        foreach (var c in cases)
        {
            var entry = file.Entry(c.Name);
            Assert.That((entry.DType, entry.Shape, entry.DTypeName), Is.EqualTo((c.DType, c.Shape, c.DType.SafetensorsName())), c.Name);
            Assert.That(file.Bytes(entry).ToArray(), Is.EqualTo(data[c.Name]), c.Name);

            using var tensor = file.Load(_backend, c.Name);
            Assert.That((tensor.DType, tensor.Shape, tensor.Name), Is.EqualTo((c.DType, c.Shape, c.Name)));
            var back = new byte[tensor.ByteLength];
            _backend.CopyToHost(back, tensor);
            Assert.That(back, Is.EqualTo(data[c.Name]), c.Name);
        }
    }

    [Test]
    public void Tensors_are_written_from_their_backend()
    {
        using var a = _backend.Allocate(new Shape(2, 3), DType.F32);
        var values = new[] { 1f, -2f, 3.5f, 0f, float.MaxValue, -0f };
        _backend.CopyFromHost(a, MemoryMarshal.AsBytes(values.AsSpan()));
        using var b = _backend.Allocate(new Shape(5), DType.BF16);
        _backend.Fill(b, 0.1f);
        var path = Path.Combine(Support.TestPaths.TempDir("fromtensor"), "w.safetensors");
        new SafetensorsWriter().Add("a", a).Add("b", b).Save(path);

        using var file = SafetensorsFile.Open(path);
        using var la = file.Load(_backend, "a");
        var got = new float[6];
        _backend.CopyToHost(MemoryMarshal.AsBytes(got.AsSpan()), la);
        Assert.That(got, Is.EqualTo(values));
        Assert.That(MemoryMarshal.Cast<byte, ushort>(file.Bytes(file.Entry("b"))).ToArray(),
            Is.All.EqualTo(BFloat16Bits.FromSingle(0.1f)));
    }

    [Test]
    public void Writer_output_matches_the_reference_serializer_byte_for_byte()
    {
        // The reference crate's own serialization vectors (safetensors/src/tensor.rs tests).
        var sixFloats = MemoryMarshal.AsBytes(new[] { 0f, 1f, 2f, 3f, 4f, 5f }.AsSpan()).ToArray();
        Assert.That(Serialize(new SafetensorsWriter().Add("attn.0", DType.F32, new Shape(1, 2, 3), sixFloats)),
            Is.EqualTo(RawSafetensors.Bytes("""{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}""", sixFloats)));
        Assert.That(Serialize(new SafetensorsWriter().Add("attn0", DType.F32, new Shape(1, 1, 2, 3), sixFloats)),
            Is.EqualTo(RawSafetensors.Bytes("""{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       """, sixFloats)));
        Assert.That(Serialize(new SafetensorsWriter()),
            Is.EqualTo(new byte[] { 8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32 }));
        Assert.That(Serialize(new SafetensorsWriter().AddMetadata("framework", "pt")),
            Is.EqualTo(RawSafetensors.Bytes("""{"__metadata__":{"framework":"pt"}}     """, [])));
    }

    [Test]
    public void Writer_puts_metadata_first_and_tensors_in_name_order_in_header_and_data()
    {
        var b = new byte[] { 1, 2, 3, 4 };
        var a = new byte[] { 5, 6 };
        var bytes = Serialize(new SafetensorsWriter()
            .Add("b", DType.I32, new Shape(1), b)
            .AddMetadata("z", "1")
            .Add("a", DType.BF16, new Shape(1), a)
            .AddMetadata("m", "2"));
        var header = """{"__metadata__":{"m":"2","z":"1"},"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"I32","shape":[1],"data_offsets":[2,6]}}""";
        var padding = new string(' ', (8 - Encoding.UTF8.GetByteCount(header) % 8) % 8);
        Assert.That(bytes, Is.EqualTo(RawSafetensors.Bytes(header + padding, [.. a, .. b])));
    }

    [Test]
    public void Writer_rejects_bad_input_when_it_is_added()
    {
        var writer = new SafetensorsWriter().Add("w", DType.F32, new Shape(1), new byte[4]);
        Assert.That(() => writer.Add("w", DType.F32, new Shape(1), new byte[4]), Throws.ArgumentException.With.Message.Contains("tensor 'w' added twice"));
        Assert.That(() => writer.Add("x", DType.F16, new Shape(3), new byte[4]), Throws.ArgumentException.With.Message.Contains("tensor 'x': shape (3) of F16 needs 6 bytes, got 4"));
        Assert.That(() => writer.Add("__metadata__", DType.F32, new Shape(1), new byte[4]), Throws.ArgumentException.With.Message.Contains("reserved"));
        Assert.That(() => writer.Add("", DType.F32, new Shape(1), new byte[4]), Throws.ArgumentException.With.Message.Contains("empty"));
        Assert.That(() => writer.AddMetadata("k", "v").AddMetadata("k", "v"), Throws.ArgumentException.With.Message.Contains("metadata key 'k' added twice"));
    }

    private static byte[] Serialize(SafetensorsWriter writer)
    {
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }
}

using Gkd.Native.Core.IO;
using Gkd.Native.Cpu;
using NUnit.Framework;

namespace Gkd.Native.Tests.IO;

/// <summary>Every rule of the reference safetensors reader, each with its own message naming the file and the culprit.</summary>
public class SafetensorsValidationTests
{
    private static InvalidDataException OpenFails(string path)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path).Dispose())!;
        Assert.That(e.Message, Does.StartWith(path + ":"), "the message names the file");
        return e;
    }

    private static InvalidDataException OpenFails(string header, byte[] data, ulong? declaredLength = null) =>
        OpenFails(RawSafetensors.WriteFile(header, data, declaredLength));

    [Test]
    public void File_shorter_than_the_length_prefix()
    {
        var e = OpenFails(RawSafetensors.WriteFile([1, 2, 3, 4, 5]));
        Assert.That(e.Message, Does.Contain("5 bytes, shorter than the 8-byte header length"));
    }

    [Test]
    public void Header_length_over_the_limit()
    {
        var e = OpenFails("{}", [], declaredLength: 100_000_001);
        Assert.That(e.Message, Does.Contain("header length 100000001 exceeds the 100,000,000-byte limit"));
    }

    [Test]
    public void Header_length_past_the_end_of_the_file()
    {
        var e = OpenFails("{}", [], declaredLength: 64);
        Assert.That(e.Message, Does.Contain("header length 64 runs past the end of the file (10 bytes"));
    }

    [Test]
    public void Header_that_is_not_utf8()
    {
        var header = "{\"w\u00e9\":{}}"u8.ToArray();
        header[3] = 0xFF; // the lead byte of é, at header byte 3, i.e. file byte 8 + 3
        var e = OpenFails(RawSafetensors.WriteFile(RawSafetensors.Bytes(header, [])));
        Assert.That(e.Message, Does.Contain("header is not valid UTF-8 (bad byte at file offset 11)"));
    }

    [TestCase("[1, 2]", "'['")]
    [TestCase(" {}", "' '")]
    [TestCase("", "the header is empty")]
    public void Header_that_does_not_start_with_a_brace(string header, string found)
    {
        var e = OpenFails(header, []);
        Assert.That(e.Message, Does.Contain("header does not start with '{'").And.Contain(found));
    }

    [Test]
    public void Header_that_is_not_json()
    {
        var e = OpenFails("{\"w\": {\"dtype\": ", []);
        Assert.That(e.Message, Does.Contain("header is not valid JSON"));
    }

    [Test]
    public void Trailing_spaces_after_the_header_json_are_padding()
    {
        using var file = SafetensorsFile.Open(RawSafetensors.WriteFile("{}      ", []));
        Assert.That(file.Entries, Is.Empty);
    }

    [Test]
    public void Unknown_dtype()
    {
        var e = OpenFails("""{"w":{"dtype":"Q4_K","shape":[2],"data_offsets":[0,2]}}""", new byte[2]);
        Assert.That(e.Message, Does.Contain("tensor 'w': unknown dtype 'Q4_K'").And.Contain("BOOL, F4"));
    }

    [Test]
    public void Known_dtype_that_gkd_does_not_support_opens_but_does_not_load()
    {
        var path = RawSafetensors.WriteFile(
            """{"mask":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"w":{"dtype":"F32","shape":[1],"data_offsets":[3,7]}}""",
            new byte[7]);
        using var file = SafetensorsFile.Open(path);
        var entry = file.Entry("mask");
        Assert.That(entry.IsSupported, Is.False);
        Assert.That(entry.DTypeName, Is.EqualTo("U8"));
        Assert.That(file.Entry("w").IsSupported, Is.True);

        var e = Assert.Throws<NotSupportedException>(() => file.Load(new CpuBackend(2), "mask"))!;
        Assert.That(e.Message, Does.StartWith(path + ":")
            .And.Contain("tensor 'mask' has dtype U8")
            .And.Contain("does not support (supported: F32, BF16, F16, I32)"));
    }

    [Test]
    public void Shape_and_dtype_disagree_with_the_offsets()
    {
        var e = OpenFails("""{"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,10]}}""", new byte[10]);
        Assert.That(e.Message, Does.Contain("tensor 'w': shape [2, 3] of BF16 is 12 bytes, but data_offsets [0, 10] span 10"));
    }

    [Test]
    public void Begin_after_end()
    {
        var e = OpenFails("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", new byte[8]);
        Assert.That(e.Message, Does.Contain("tensor 'w': data_offsets [8, 4] begin after they end"));
    }

    [Test]
    public void Gap_between_tensors()
    {
        var e = OpenFails(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""",
            new byte[12]);
        Assert.That(e.Message, Does.Contain("tensor 'b': data_offsets [8, 12] leave a gap: the previous tensor 'a' ends at 4"));
    }

    [Test]
    public void Gap_before_the_first_tensor()
    {
        var e = OpenFails("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]);
        Assert.That(e.Message, Does.Contain("tensor 'a': data_offsets [4, 8] leave a gap: the data section starts at 0"));
    }

    [Test]
    public void Overlapping_tensors()
    {
        var e = OpenFails(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""",
            new byte[8]);
        Assert.That(e.Message, Does.Contain("tensor 'b': data_offsets [4, 8] overlap: the previous tensor 'a' ends at 8"));
    }

    [Test]
    public void Last_tensor_ends_before_the_end_of_the_file()
    {
        var e = OpenFails("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[6]);
        Assert.That(e.Message, Does.Contain("the last tensor 'w' ends at 4, but the data section holds 6 bytes"));
    }

    [Test]
    public void Last_tensor_runs_past_the_end_of_a_truncated_file()
    {
        var e = OpenFails("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", new byte[9]);
        Assert.That(e.Message, Does.Contain("tensor 'w': data_offsets [0, 16] run past the end of the data section (9 bytes"));
    }

    [Test]
    public void Data_bytes_but_no_tensors()
    {
        var e = OpenFails("{}", new byte[4]);
        Assert.That(e.Message, Does.Contain("the header lists no tensors, but 4 data bytes follow it"));
    }

    [Test]
    public void Duplicate_tensor_name()
    {
        var e = OpenFails(
            """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""",
            new byte[8]);
        Assert.That(e.Message, Does.Contain("tensor 'w' appears twice in the header"));
    }

    [Test]
    public void Duplicate_metadata()
    {
        var e = OpenFails("""{"__metadata__":{},"__metadata__":{}}""", []);
        Assert.That(e.Message, Does.Contain("'__metadata__' appears twice"));
    }

    [TestCase("""{"__metadata__":{"format":"pt","step":3}}""", "'__metadata__' must be an object of string values, but 'step' is a JSON Number")]
    [TestCase("""{"__metadata__":["pt"]}""", "'__metadata__' must be an object of string values, found a JSON Array")]
    public void Metadata_that_is_not_a_string_map(string header, string message)
    {
        var e = OpenFails(header, []);
        Assert.That(e.Message, Does.Contain(message));
    }

    [Test]
    public void Null_metadata_is_no_metadata()
    {
        using var file = SafetensorsFile.Open(RawSafetensors.WriteFile("""{"__metadata__":null}""", []));
        Assert.That(file.Metadata, Is.Empty);
    }

    [Test]
    public void Shape_whose_byte_count_overflows()
    {
        var e = OpenFails(
            """{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}""", new byte[4]);
        Assert.That(e.Message, Does.Contain("tensor 'w': shape [4294967296, 4294967296, 4] of F32 overflows"));
    }

    [Test]
    public void Dimension_too_large_for_a_shape()
    {
        var e = OpenFails("""{"w":{"dtype":"U8","shape":[2147483648,0],"data_offsets":[0,0]}}""", []);
        Assert.That(e.Message, Does.Contain("tensor 'w': dimension 2147483648").And.Contain("exceeds 2147483647"));
    }

    [Test]
    public void Sub_byte_dtype_that_does_not_fill_whole_bytes()
    {
        var e = OpenFails("""{"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}""", new byte[2]);
        Assert.That(e.Message, Does.Contain("tensor 'w': 3 elements of F4 (4 bits each) do not fill whole bytes"));
    }

    [TestCase("""{"w":{"dtype":"F32","shape":[1]}}""", "tensor 'w': missing field 'data_offsets'")]
    [TestCase("""{"w":{"dtype":"F32","data_offsets":[0,0]}}""", "tensor 'w': missing field 'shape'")]
    [TestCase("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", "tensor 'w': missing string field 'dtype'")]
    [TestCase("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""", "tensor 'w': 'data_offsets' must be an array of 2 non-negative integers")]
    [TestCase("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "tensor 'w': 'shape' must be an array of non-negative integers, found [-1]")]
    [TestCase("""{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", "tensor 'w': 'shape' must be an array of non-negative integers")]
    [TestCase("""{"w":[1]}""", "tensor 'w': entry is a JSON Array, expected an object")]
    public void Malformed_tensor_entry(string header, string message)
    {
        var e = OpenFails(header, new byte[4]);
        Assert.That(e.Message, Does.Contain(message));
    }

    [Test]
    public void Entries_listed_out_of_offset_order_are_sorted()
    {
        var path = RawSafetensors.WriteFile(
            """{"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"I32","shape":[2],"data_offsets":[4,12]}}""",
            new byte[12]);
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Entries.Select(e => e.Name), Is.EqualTo(new[] { "z", "a" }));
        Assert.That(file.Keys, Is.EqualTo(new[] { "a", "z" }));
    }

    [Test]
    public void Missing_tensor_names_the_file_the_key_and_nearby_keys()
    {
        var path = RawSafetensors.WriteFile(
            """{"model.norm.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"lm_head.weight":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""",
            new byte[8]);
        using var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<KeyNotFoundException>(() => file.Load(new CpuBackend(2), "model.embed_tokens.weight"))!;
        Assert.That(e.Message, Does.StartWith(path + ": no tensor 'model.embed_tokens.weight'")
            .And.Contain("it holds 2 tensors, e.g. 'model.norm.weight', 'lm_head.weight'"));
        Assert.That(file.Contains("model.embed_tokens.weight"), Is.False);
    }

    [Test]
    public void Missing_file()
    {
        var path = Path.Combine(Support.TestPaths.TempDir("safetensors"), "absent.safetensors");
        var e = Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open(path))!;
        Assert.That(e.Message, Does.Contain(path));
    }
}

using System.Security.Cryptography;
using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Hub;

namespace Gkd.Native.Tests.Trainer;

/// <summary>
/// LFS uploads of <see cref="HubClient"/> against a local Hub (<see cref="FakeHub"/>): the oid and size are streamed,
/// and an object above the Hub's chunk size goes up in parts — chunk_size pieces PUT to the numbered part URLs without
/// the token, their ETags POSTed to the completion URL — and is committed by its oid.
/// </summary>
public sealed class HubLfsTests
{
    private const string Token = "hf_local_test_token";

    [Test]
    public void LfsObjectStreamsTheSha256AndSizeOfAFileLargerThanOneReadBuffer()
    {
        var bytes = RandomBytes((3 << 20) + 12_345, seed: 7); // 3 MiB + a tail: more than one 1 MiB read, not a multiple
        var path = Path.Combine(TestPaths.TempDir("lfs-object"), "model.safetensors");
        File.WriteAllBytes(path, bytes);
        var lfs = LfsObject.Of(path);
        Assert.That(lfs.Oid, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(bytes))));
        Assert.That(lfs.Size, Is.EqualTo(bytes.Length));
    }

    [Test]
    public void ObjectAboveTheChunkSizeGoesUpInPartsWithoutTheTokenAndIsCommittedByItsOid()
    {
        const int chunk = 1000;
        using var hub = new FakeHub(Token) { MultipartChunkSize = chunk };
        var dir = TestPaths.TempDir("lfs-multipart");
        var big = RandomBytes(4 * chunk + 321, seed: 1);   // 5 parts, the last one 321 bytes
        var exact = RandomBytes(2 * chunk, seed: 2);       // 2 full parts, no short tail
        var small = RandomBytes(chunk - 1, seed: 3);       // under the chunk size: one basic PUT
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), big);
        File.WriteAllBytes(Path.Combine(dir, "exact.safetensors"), exact);
        File.WriteAllBytes(Path.Combine(dir, "small.safetensors"), small);
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");

        using (var client = new HubClient(Token, hub.Endpoint)) client.UploadFolder($"{FakeHub.User}/big", dir, "big files", TextWriter.Null);

        Assert.That(hub.Errors, Is.Empty);
        var (_, _, files, lfs) = hub.Commits.Single();
        Assert.That(files["model.safetensors"], Is.EqualTo(big));
        Assert.That(files["exact.safetensors"], Is.EqualTo(exact));
        Assert.That(files["small.safetensors"], Is.EqualTo(small));
        Assert.That(lfs, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["model.safetensors"] = Oid(big), ["exact.safetensors"] = Oid(exact), ["small.safetensors"] = Oid(small),
        }));

        AssertParts(hub, Oid(big), [chunk, chunk, chunk, chunk, 321]);
        AssertParts(hub, Oid(exact), [chunk, chunk]);
        Assert.That(hub.PartUploads.Select(p => p.Oid), Has.None.EqualTo(Oid(small)));
        Assert.That(hub.Requests, Does.Contain($"PUT /lfs-upload/{Oid(small)}"));
        Assert.That(hub.Requests.Count(r => r == "POST /lfs-verify"), Is.EqualTo(3));
    }

    /// <summary>oid went up as parts of these sizes, in order, without the token, and was completed with their ETags.</summary>
    private static void AssertParts(FakeHub hub, string oid, int[] sizes)
    {
        var parts = hub.PartUploads.Where(p => p.Oid == oid).ToArray();
        Assert.That(parts.Select(p => p.Part), Is.EqualTo(Enumerable.Range(1, sizes.Length)), "parts in order, once each");
        Assert.That(parts.Select(p => p.Size), Is.EqualTo(sizes), "chunk_size pieces, the last one shorter");
        Assert.That(parts.Select(p => p.Authorized), Has.All.False, "the token went to a pre-signed part URL");

        var (body, contentType, authorized) = hub.Completions.Single(c => c.Body["oid"]!.GetValue<string>() == oid);
        Assert.That(contentType, Is.EqualTo("application/vnd.git-lfs+json"));
        Assert.That(authorized, Is.False, "huggingface_hub sends the signed completion URL no token");
        var etags = hub.PartETags;
        Assert.That(body["parts"]!.AsArray().Select(p => (p!["partNumber"]!.GetValue<int>(), p["etag"]!.GetValue<string>())),
            Is.EqualTo(Enumerable.Range(1, sizes.Length).Select(n => (n, etags[(oid, n)]))));
    }

    private static string Oid(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

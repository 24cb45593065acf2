using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gkd.Native.Training.Hub;

/// <summary>
/// The LFS upload of one file, as huggingface_hub's lfs.py: the batch API (offering the "basic" and "multipart"
/// transfers) says where the bytes go; a basic action is one PUT of the whole file to its href, a multipart one
/// PUTs chunk_size pieces to the numbered part URLs in its header and then POSTs their ETags to its href; then the
/// verify action, if any. The bytes stream from disk. Upload URLs are pre-signed (S3): they carry their own
/// credential, so they get no token — S3 refuses a second auth mechanism, and the token must not leave the Hub. The
/// multipart completion URL is signed too, and, as huggingface_hub, goes without the token.
/// </summary>
public sealed partial class HubClient
{
    private const string LfsMediaType = "application/vnd.git-lfs+json";

    private void UploadLfs(string repoId, LfsObject lfs, string path)
    {
        var body = new JsonObject
        {
            ["operation"] = "upload",
            ["transfers"] = new JsonArray("basic", "multipart"),
            ["objects"] = new JsonArray(new JsonObject { ["oid"] = lfs.Oid, ["size"] = lfs.Size }),
            ["hash_algo"] = "sha256",
            ["ref"] = new JsonObject { ["name"] = "main" },
        };
        using var request = LfsPost($"{_endpoint}/{repoId}.git/info/lfs/objects/batch", body);
        using var response = Call(request, "starting an LFS upload");
        Ensure(response, "starting an LFS upload");
        var obj = JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult())?["objects"]?[0];
        if (obj?["error"] is { } error) throw new HubException($"LFS upload of {lfs.Oid} refused: {error.ToJsonString()}");
        if (obj?["actions"]?["upload"] is not JsonObject upload) return; // the Hub has it already
        var href = upload["href"]!.GetValue<string>();
        var header = upload["header"] as JsonObject;
        if (header?["chunk_size"] is { } chunkSize) UploadParts(lfs, path, header, ChunkSize(chunkSize, lfs.Oid), href);
        else UploadWhole(lfs, path, header, href);
        if (obj["actions"]?["verify"] is JsonObject verify)
        {
            using var check = LfsPost(verify["href"]!.GetValue<string>(), new JsonObject { ["oid"] = lfs.Oid, ["size"] = lfs.Size });
            using var verifyResponse = Call(check, "verifying an LFS upload");
            Ensure(verifyResponse, "verifying an LFS upload");
        }
    }

    /// <summary>Basic transfer: the whole file in one PUT to href, with the action's headers (git-lfs batch API).</summary>
    private void UploadWhole(LfsObject lfs, string path, JsonObject? header, string href)
    {
        using var put = new HttpRequestMessage(HttpMethod.Put, href) { Content = new FileRangeContent(path, 0, lfs.Size) };
        foreach (var (k, v) in header ?? []) put.Headers.TryAddWithoutValidation(k, v?.GetValue<string>());
        using var response = Call(put, "uploading an LFS object", authorize: false);
        Ensure(response, "uploading an LFS object");
    }

    /// <summary>
    /// Multipart transfer: header maps "00001", "00002", … to pre-signed part URLs, one per chunk_size piece of the
    /// file (the last one shorter); each part's ETag goes into the completion POST to href, numbered from 1 in
    /// part order.
    /// </summary>
    private void UploadParts(LfsObject lfs, string path, JsonObject header, long chunkSize, string href)
    {
        var urls = header.Where(p => p.Key.Length > 0 && p.Key.All(char.IsAsciiDigit))
            .OrderBy(p => long.Parse(p.Key, CultureInfo.InvariantCulture))
            .Select(p => p.Value!.GetValue<string>()).ToArray();
        var count = (lfs.Size + chunkSize - 1) / chunkSize;
        if (urls.Length != count)
            throw new HubException($"LFS upload of {lfs.Oid}: the Hub sent {urls.Length} part URLs for {lfs.Size:N0} bytes in chunks of {chunkSize:N0} ({count} parts)");
        var parts = new JsonArray();
        for (var i = 0; i < urls.Length; i++)
        {
            var what = $"uploading part {i + 1}/{urls.Length} of an LFS object";
            var offset = i * chunkSize;
            using var put = new HttpRequestMessage(HttpMethod.Put, urls[i]) { Content = new FileRangeContent(path, offset, Math.Min(chunkSize, lfs.Size - offset)) };
            using var response = Call(put, what, authorize: false);
            Ensure(response, what);
            var etag = response.Headers.NonValidated.TryGetValues("ETag", out var values) ? values.ToString() : "";
            if (etag.Length == 0) throw new HubException($"{what}: {urls[i]} answered without an ETag");
            parts.Add((JsonNode)new JsonObject { ["partNumber"] = i + 1, ["etag"] = etag });
        }
        using var complete = LfsPost(href, new JsonObject { ["oid"] = lfs.Oid, ["parts"] = parts });
        using var completed = Call(complete, "completing a multipart LFS upload", authorize: false);
        Ensure(completed, "completing a multipart LFS upload");
    }

    /// <summary>The action's chunk_size: a decimal string (huggingface_hub also takes a number), positive.</summary>
    private static long ChunkSize(JsonNode node, string oid)
    {
        var text = node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size > 0
            ? size
            : throw new HubException($"LFS upload of {oid}: the Hub's multipart action has a malformed chunk_size {node.ToJsonString()}");
    }

    /// <summary>A POST of body as git-lfs JSON (the exact media type, as huggingface_hub sends it), accepting the same.</summary>
    private static HttpRequestMessage LfsPost(string url, JsonObject body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue(LfsMediaType)),
        };
        request.Headers.Accept.ParseAdd(LfsMediaType);
        return request;
    }
}

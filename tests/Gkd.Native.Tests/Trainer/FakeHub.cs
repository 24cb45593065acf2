using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gkd.Native.Tests.Trainer;

/// <summary>
/// A local stand-in for the Hugging Face Hub, on a free loopback port, answering the calls a push makes as the Hub
/// does: whoami-v2 (401 for a wrong token), repos/create, preupload (".safetensors" and ".png" go through LFS), the
/// LFS batch API with a basic-transfer upload URL that — like the S3 URLs the Hub hands out — refuses a request that
/// also carries an Authorization header, or, for objects above <see cref="MultipartChunkSize"/> when the client offers
/// the "multipart" transfer, numbered pre-signed part URLs (answering with ETags) and a completion URL that checks the
/// parts' ETags and reassembles the object, LFS verify, and commit (ndjson), which rejects a README.md whose metadata
/// names a base_model or dataset that is not a Hub id. What was committed and uploaded is kept for the test to inspect.
/// </summary>
internal sealed partial class FakeHub : IDisposable
{
    public const string User = "tester";
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly ConcurrentDictionary<string, byte[]> _lfs = new();
    private readonly ConcurrentDictionary<(string Oid, int Part), (byte[] Bytes, string ETag)> _parts = new();

    public FakeHub(string token)
    {
        Token = token;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    public string Endpoint { get; }
    public string Token { get; }

    /// <summary>"METHOD /path" of every request, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The bodies of repos/create calls.</summary>
    public ConcurrentQueue<JsonObject> CreatedRepos { get; } = new();

    /// <summary>Per commit: the repository, its summary, its files (path → bytes; LFS files resolved) and LFS oids (path → oid).</summary>
    public ConcurrentQueue<(string Repo, string Summary, Dictionary<string, byte[]> Files, Dictionary<string, string> LfsOids)> Commits { get; } = new();

    /// <summary>LFS objects larger than this many bytes go up in parts of this size (null: every upload is basic).</summary>
    public long? MultipartChunkSize { get; init; }

    /// <summary>Every PUT to a part URL, refused ones included: the object, its part number, its size, whether it carried a token.</summary>
    public ConcurrentQueue<(string Oid, int Part, int Size, bool Authorized)> PartUploads { get; } = new();

    /// <summary>Every multipart completion POST: its body, its Content-Type, whether it carried a token.</summary>
    public ConcurrentQueue<(JsonObject Body, string? ContentType, bool Authorized)> Completions { get; } = new();

    /// <summary>The ETag each part URL answered with, by (oid, part number).</summary>
    public IReadOnlyDictionary<(string Oid, int Part), string> PartETags => _parts.ToDictionary(p => p.Key, p => p.Value.ETag);

    /// <summary>Requests the fake could not serve (a test should see none).</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                Handle(context);
            }
            catch (Exception e)
            {
                Errors.Enqueue($"{context.Request.HttpMethod} {context.Request.Url}: {e}");
                Respond(context, 500, new JsonObject { ["error"] = e.Message });
            }
        }
    }

    private void Handle(HttpListenerContext c)
    {
        var method = c.Request.HttpMethod;
        var path = c.Request.Url!.AbsolutePath;
        Requests.Enqueue($"{method} {path}");
        var body = ReadBody(c.Request);
        var auth = c.Request.Headers["Authorization"];
        if (path.StartsWith("/lfs-upload/", StringComparison.Ordinal))
        {
            if (auth is not null)
            {
                Respond(c, 400, new JsonObject { ["error"] = "Only one auth mechanism allowed; the upload URL is pre-signed" });
                return;
            }
            var oid = path["/lfs-upload/".Length..];
            if (Convert.ToHexStringLower(SHA256.HashData(body)) != oid) throw new InvalidDataException($"LFS upload of {oid}: content does not hash to its oid");
            _lfs[oid] = body;
            Respond(c, 200, new JsonObject());
            return;
        }
        if (path.StartsWith("/lfs-part/", StringComparison.Ordinal))
        {
            PutPart(c, path["/lfs-part/".Length..].Split('/'), body, auth is not null);
            return;
        }
        if (path.StartsWith("/lfs-complete/", StringComparison.Ordinal))
        {
            Complete(c, path["/lfs-complete/".Length..], body, auth is not null);
            return;
        }
        if (auth != "Bearer " + Token)
        {
            Respond(c, 401, new JsonObject { ["error"] = "Invalid credentials in Authorization header" });
            return;
        }
        if (method == "GET" && path == "/api/whoami-v2")
            Respond(c, 200, new JsonObject { ["type"] = "user", ["name"] = User });
        else if (method == "POST" && path == "/api/repos/create")
        {
            var json = JsonNode.Parse(body)!.AsObject();
            CreatedRepos.Enqueue(json);
            Respond(c, 200, new JsonObject { ["url"] = $"{Endpoint}/{json["organization"]}/{json["name"]}" });
        }
        else if (method == "POST" && RepoCall().Match(path) is { Success: true } preupload && preupload.Groups[2].Value == "preupload")
            Respond(c, 200, Preupload(JsonNode.Parse(body)!.AsObject()));
        else if (method == "POST" && RepoCall().Match(path) is { Success: true } commit && commit.Groups[2].Value == "commit")
            Commit(c, commit.Groups[1].Value, Encoding.UTF8.GetString(body));
        else if (method == "POST" && path.EndsWith(".git/info/lfs/objects/batch", StringComparison.Ordinal))
            Respond(c, 200, Batch(JsonNode.Parse(body)!.AsObject()));
        else if (method == "POST" && path == "/lfs-verify")
        {
            var oid = JsonNode.Parse(body)!["oid"]!.GetValue<string>();
            Respond(c, _lfs.ContainsKey(oid) ? 200 : 404, new JsonObject());
        }
        else
        {
            Errors.Enqueue($"unexpected {method} {path}");
            Respond(c, 404, new JsonObject { ["error"] = "not found" });
        }
    }

    private static JsonObject Preupload(JsonObject request) => new()
    {
        ["files"] = new JsonArray(request["files"]!.AsArray().Select(f =>
        {
            var path = f!["path"]!.GetValue<string>();
            var lfs = path.EndsWith(".safetensors", StringComparison.Ordinal) || path.EndsWith(".png", StringComparison.Ordinal);
            return (JsonNode)new JsonObject { ["path"] = path, ["uploadMode"] = lfs ? "lfs" : "regular", ["shouldIgnore"] = false };
        }).ToArray()),
    };

    private JsonObject Batch(JsonObject request)
    {
        var multipart = request["transfers"]!.AsArray().Any(t => t!.GetValue<string>() == "multipart");
        return new JsonObject
        {
            ["transfer"] = multipart ? "multipart" : "basic",
            ["objects"] = new JsonArray(request["objects"]!.AsArray().Select(o =>
            {
                var oid = o!["oid"]!.GetValue<string>();
                var size = o["size"]!.GetValue<long>();
                return (JsonNode)new JsonObject
                {
                    ["oid"] = oid,
                    ["size"] = size,
                    ["authenticated"] = true,
                    ["actions"] = new JsonObject
                    {
                        ["upload"] = multipart && size > MultipartChunkSize ? MultipartAction(oid, size, MultipartChunkSize.Value) : new JsonObject { ["href"] = $"{Endpoint}/lfs-upload/{oid}" },
                        ["verify"] = new JsonObject { ["href"] = $"{Endpoint}/lfs-verify" },
                    },
                };
            }).ToArray()),
        };
    }

    /// <summary>The Hub's multipart action: header holds chunk_size (a string) and one signed URL per part, "00001"…; href completes.</summary>
    private JsonObject MultipartAction(string oid, long size, long chunkSize)
    {
        var header = new JsonObject { ["chunk_size"] = chunkSize.ToString(CultureInfo.InvariantCulture) };
        for (var part = 1; part <= (size + chunkSize - 1) / chunkSize; part++)
            header[$"{part:D5}"] = $"{Endpoint}/lfs-part/{oid}/{part}?X-Amz-Signature=part{part}";
        return new JsonObject { ["href"] = $"{Endpoint}/lfs-complete/{oid}?uploadId=upload-{oid[..8]}", ["header"] = header };
    }

    /// <summary>A part PUT: refused with a token (as S3), else kept, answering with an S3-style quoted ETag (its MD5).</summary>
    private void PutPart(HttpListenerContext c, string[] oidAndPart, byte[] body, bool authorized)
    {
        var (oid, part) = (oidAndPart[0], int.Parse(oidAndPart[1], CultureInfo.InvariantCulture));
        PartUploads.Enqueue((oid, part, body.Length, authorized));
        if (authorized)
        {
            Respond(c, 400, new JsonObject { ["error"] = "Only one auth mechanism allowed; the upload URL is pre-signed" });
            return;
        }
        var etag = $"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"";
        _parts[(oid, part)] = (body, etag);
        c.Response.AddHeader("ETag", etag);
        Respond(c, 200, new JsonObject());
    }

    /// <summary>The completion POST: git-lfs JSON naming the oid and every part's number and ETag, in order; the parts joined must hash to the oid.</summary>
    private void Complete(HttpListenerContext c, string oid, byte[] body, bool authorized)
    {
        var json = JsonNode.Parse(body)!.AsObject();
        Completions.Enqueue((json, c.Request.ContentType, authorized));
        if (c.Request.ContentType?.StartsWith("application/vnd.git-lfs+json", StringComparison.Ordinal) != true || json["oid"]?.GetValue<string>() != oid)
            throw new InvalidDataException($"completion of {oid}: Content-Type {c.Request.ContentType}, body {json.ToJsonString()}");
        var parts = json["parts"]!.AsArray();
        var sent = _parts.Keys.Where(k => k.Oid == oid).Select(k => k.Part).Order().ToArray();
        if (!parts.Select(p => p!["partNumber"]!.GetValue<int>()).SequenceEqual(sent) || parts.Any(p => p!["etag"]!.GetValue<string>() != _parts[(oid, p["partNumber"]!.GetValue<int>())].ETag))
            throw new InvalidDataException($"completion of {oid}: parts {parts.ToJsonString()} do not match the uploaded ones ({string.Join(",", sent)})");
        var bytes = sent.SelectMany(p => _parts[(oid, p)].Bytes).ToArray();
        if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != oid) throw new InvalidDataException($"completion of {oid}: the parts joined do not hash to it");
        _lfs[oid] = bytes;
        Respond(c, 200, new JsonObject());
    }

    private void Commit(HttpListenerContext c, string repo, string ndjson)
    {
        var files = new Dictionary<string, byte[]>();
        var lfsOids = new Dictionary<string, string>();
        var summary = "";
        foreach (var line in ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var op = JsonNode.Parse(line)!;
            var value = op["value"]!;
            switch (op["key"]!.GetValue<string>())
            {
                case "header":
                    summary = value["summary"]!.GetValue<string>();
                    break;
                case "file":
                    files[value["path"]!.GetValue<string>()] = Convert.FromBase64String(value["content"]!.GetValue<string>());
                    break;
                case "lfsFile":
                    var path = value["path"]!.GetValue<string>();
                    var oid = value["oid"]!.GetValue<string>();
                    if (!_lfs.TryGetValue(oid, out var bytes) || value["size"]!.GetValue<long>() != bytes.Length)
                    {
                        Respond(c, 422, new JsonObject { ["error"] = $"{path}: LFS object {oid} of {value["size"]} bytes was never uploaded" });
                        return;
                    }
                    files[path] = bytes;
                    lfsOids[path] = oid;
                    break;
            }
        }
        if (files.TryGetValue("README.md", out var readme) && InvalidMetadata(Encoding.UTF8.GetString(readme)) is { } problem)
        {
            Respond(c, 400, new JsonObject { ["error"] = $"Invalid metadata in README.md.\n- {problem}" });
            return;
        }
        Commits.Enqueue((repo, summary, files, lfsOids));
        Respond(c, 200, new JsonObject { ["commitUrl"] = $"{Endpoint}/{repo}/commit/0123abcd", ["success"] = true });
    }

    /// <summary>The Hub's complaint about a model card's base_model or datasets entries, or null when they are Hub ids.</summary>
    private static string? InvalidMetadata(string readme)
    {
        if (!readme.StartsWith("---\n", StringComparison.Ordinal)) return null;
        var end = readme.IndexOf("\n---", 4, StringComparison.Ordinal);
        string? key = null;
        foreach (var line in readme[4..end].Split('\n'))
        {
            var field = MetadataField().Match(line);
            if (field.Success) key = field.Groups[1].Value;
            var value = field.Success ? field.Groups[2].Value.Trim() : line.TrimStart().StartsWith("- ", StringComparison.Ordinal) ? line.TrimStart()[2..].Trim() : "";
            if (value.Length > 0 && key is "base_model" or "datasets" && !HubId().IsMatch(value))
                return $"\"{key}\" with value \"{value}\" is not valid. Use a {(key == "datasets" ? "dataset" : "model")} id from https://hf.co/.";
        }
        return null;
    }

    private static byte[] ReadBody(HttpListenerRequest request)
    {
        using var memory = new MemoryStream();
        request.InputStream.CopyTo(memory);
        return memory.ToArray();
    }

    private static void Respond(HttpListenerContext c, int status, JsonObject json)
    {
        var bytes = Encoding.UTF8.GetBytes(json.ToJsonString());
        c.Response.StatusCode = status;
        c.Response.ContentType = "application/json";
        c.Response.ContentLength64 = bytes.Length;
        c.Response.OutputStream.Write(bytes);
        c.Response.Close();
    }

    [GeneratedRegex(@"^/api/models/([^/]+/[^/]+)/(preupload|commit)/main$")]
    private static partial Regex RepoCall();

    [GeneratedRegex(@"^([A-Za-z_]+):(.*)$")]
    private static partial Regex MetadataField();

    [GeneratedRegex(@"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")]
    private static partial Regex HubId();

    public void Dispose()
    {
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}

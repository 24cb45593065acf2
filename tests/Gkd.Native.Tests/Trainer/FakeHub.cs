using System.Collections.Concurrent;
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
/// also carries an Authorization header, LFS verify, and commit (ndjson), which rejects a README.md whose metadata
/// names a base_model or dataset that is not a Hub id. What was committed is kept for the test to inspect.
/// </summary>
internal sealed partial class FakeHub : IDisposable
{
    public const string User = "tester";
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly ConcurrentDictionary<string, byte[]> _lfs = new();

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

    /// <summary>Per commit: the repository, its summary, and its files (path → bytes; LFS files resolved).</summary>
    public ConcurrentQueue<(string Repo, string Summary, Dictionary<string, byte[]> Files, HashSet<string> LfsPaths)> Commits { get; } = new();

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

    private JsonObject Batch(JsonObject request) => new()
    {
        ["transfer"] = "basic",
        ["objects"] = new JsonArray(request["objects"]!.AsArray().Select(o =>
        {
            var oid = o!["oid"]!.GetValue<string>();
            return (JsonNode)new JsonObject
            {
                ["oid"] = oid,
                ["size"] = o["size"]!.GetValue<long>(),
                ["authenticated"] = true,
                ["actions"] = new JsonObject
                {
                    ["upload"] = new JsonObject { ["href"] = $"{Endpoint}/lfs-upload/{oid}" },
                    ["verify"] = new JsonObject { ["href"] = $"{Endpoint}/lfs-verify" },
                },
            };
        }).ToArray()),
    };

    private void Commit(HttpListenerContext c, string repo, string ndjson)
    {
        var files = new Dictionary<string, byte[]>();
        var lfsPaths = new HashSet<string>();
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
                    if (!_lfs.TryGetValue(value["oid"]!.GetValue<string>(), out var bytes))
                    {
                        Respond(c, 422, new JsonObject { ["error"] = $"{path}: LFS object was never uploaded" });
                        return;
                    }
                    files[path] = bytes;
                    lfsPaths.Add(path);
                    break;
            }
        }
        if (files.TryGetValue("README.md", out var readme) && InvalidMetadata(Encoding.UTF8.GetString(readme)) is { } problem)
        {
            Respond(c, 400, new JsonObject { ["error"] = $"Invalid metadata in README.md.\n- {problem}" });
            return;
        }
        Commits.Enqueue((repo, summary, files, lfsPaths));
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

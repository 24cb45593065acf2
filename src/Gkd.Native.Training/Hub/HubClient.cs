using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Gkd.Native.Training.Hub;

/// <summary>
/// The few Hugging Face Hub HTTP calls a push needs: whoami-v2 (token and endpoint check), repos/create, preupload
/// (which files go through LFS), the LFS batch upload for large files, and one commit carrying every file.
/// </summary>
public sealed class HubClient : IDisposable
{
    public const string DefaultEndpoint = "https://huggingface.co";
    private readonly HttpClient _http;
    private readonly string _endpoint;
    private readonly AuthenticationHeaderValue _auth;

    public HubClient(string token, string? endpoint = null, HttpMessageHandler? handler = null)
    {
        _endpoint = (string.IsNullOrEmpty(endpoint) ? DefaultEndpoint : endpoint).TrimEnd('/');
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.Timeout = TimeSpan.FromMinutes(10);
        _auth = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("gkd-native/0.1");
    }

    public string Endpoint => _endpoint;

    /// <summary>The token's user name; throws HubException when the endpoint is unreachable or the token is refused.</summary>
    public string WhoAmI()
    {
        var json = Send(HttpMethod.Get, "/api/whoami-v2", null, "checking the token");
        return json?["name"]?.GetValue<string>() ?? throw new HubException($"{_endpoint}/api/whoami-v2 answered without a user name");
    }

    /// <summary>Creates the model repository (an existing one is fine).</summary>
    public void CreateRepo(string repoId, bool isPrivate)
    {
        var slash = repoId.IndexOf('/');
        var body = new JsonObject { ["name"] = repoId[(slash + 1)..], ["type"] = "model", ["private"] = isPrivate };
        if (slash > 0) body["organization"] = repoId[..slash];
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint + "/api/repos/create") { Content = Json(body) };
        using var response = Call(request, $"creating {repoId}");
        if (response.StatusCode != HttpStatusCode.Conflict) Ensure(response, $"creating {repoId}");
    }

    /// <summary>
    /// Uploads every file under dir (relative paths, '/' separated) as one commit on main, except hidden ones and
    /// those <paramref name="skip"/> names.
    /// </summary>
    public string UploadFolder(string repoId, string dir, string summary, TextWriter log, Func<string, bool>? skip = null)
    {
        var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => (Path: Path.GetRelativePath(dir, f).Replace('\\', '/'), Full: f))
            .Where(f => !f.Path.StartsWith(".", StringComparison.Ordinal) && skip?.Invoke(f.Path) != true)
            .OrderBy(f => f.Path, StringComparer.Ordinal).ToArray();
        var modes = Preupload(repoId, files.Select(f => f.Full).ToArray(), files.Select(f => f.Path).ToArray());
        var lines = new StringBuilder();
        lines.AppendLine(new JsonObject { ["key"] = "header", ["value"] = new JsonObject { ["summary"] = summary, ["description"] = "" } }.ToJsonString());
        foreach (var (path, full) in files)
        {
            var bytes = File.ReadAllBytes(full);
            if (modes.GetValueOrDefault(path) == "lfs")
            {
                var oid = Convert.ToHexStringLower(SHA256.HashData(bytes));
                UploadLfs(repoId, oid, bytes);
                lines.AppendLine(new JsonObject { ["key"] = "lfsFile", ["value"] = new JsonObject { ["path"] = path, ["algo"] = "sha256", ["oid"] = oid, ["size"] = bytes.Length } }.ToJsonString());
            }
            else
            {
                lines.AppendLine(new JsonObject { ["key"] = "file", ["value"] = new JsonObject { ["content"] = Convert.ToBase64String(bytes), ["path"] = path, ["encoding"] = "base64" } }.ToJsonString());
            }
            log.WriteLine($"  {path} ({bytes.Length:N0} bytes{(modes.GetValueOrDefault(path) == "lfs" ? ", LFS" : "")})");
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_endpoint}/api/models/{repoId}/commit/main")
        {
            Content = new StringContent(lines.ToString(), Encoding.UTF8, "application/x-ndjson"),
        };
        using var response = Call(request, $"committing to {repoId}");
        Ensure(response, $"committing to {repoId}");
        var result = JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
        return result?["commitUrl"]?.GetValue<string>() ?? $"{_endpoint}/{repoId}";
    }

    private Dictionary<string, string> Preupload(string repoId, string[] full, string[] paths)
    {
        var files = new JsonArray();
        for (var i = 0; i < full.Length; i++)
        {
            using var f = File.OpenRead(full[i]);
            var sample = new byte[Math.Min(512, f.Length)];
            f.ReadExactly(sample);
            files.Add((JsonNode)new JsonObject { ["path"] = paths[i], ["size"] = f.Length, ["sample"] = Convert.ToBase64String(sample) });
        }
        var json = Send(HttpMethod.Post, $"/api/models/{repoId}/preupload/main", new JsonObject { ["files"] = files }, "asking which files need LFS");
        return (json?["files"]?.AsArray() ?? []).OfType<JsonObject>()
            .ToDictionary(f => f["path"]!.GetValue<string>(), f => f["uploadMode"]?.GetValue<string>() ?? "regular");
    }

    private void UploadLfs(string repoId, string oid, byte[] bytes)
    {
        var body = new JsonObject
        {
            ["operation"] = "upload",
            ["transfers"] = new JsonArray("basic"),
            ["objects"] = new JsonArray(new JsonObject { ["oid"] = oid, ["size"] = bytes.Length }),
            ["hash_algo"] = "sha256",
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_endpoint}/{repoId}.git/info/lfs/objects/batch")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/vnd.git-lfs+json"),
        };
        request.Headers.Accept.ParseAdd("application/vnd.git-lfs+json");
        using var response = Call(request, "starting an LFS upload");
        Ensure(response, "starting an LFS upload");
        var obj = JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult())?["objects"]?[0];
        if (obj?["error"] is { } error) throw new HubException($"LFS upload of {oid} refused: {error.ToJsonString()}");
        if (obj?["actions"]?["upload"] is not JsonObject upload) return; // the Hub has it already
        using var put = new HttpRequestMessage(HttpMethod.Put, upload["href"]!.GetValue<string>()) { Content = new ByteArrayContent(bytes) };
        foreach (var (k, v) in upload["header"]?.AsObject() ?? []) put.Headers.TryAddWithoutValidation(k, v?.GetValue<string>());
        // Pre-signed (S3): the URL is the credential; as huggingface_hub, send no token — S3 refuses a second auth
        // mechanism, and the token must not leave the Hub.
        using var putResponse = Call(put, "uploading an LFS object", authorize: false);
        Ensure(putResponse, "uploading an LFS object");
        if (obj["actions"]?["verify"] is JsonObject verify)
        {
            using var check = new HttpRequestMessage(HttpMethod.Post, verify["href"]!.GetValue<string>())
            {
                Content = new StringContent(new JsonObject { ["oid"] = oid, ["size"] = bytes.Length }.ToJsonString(), Encoding.UTF8, "application/vnd.git-lfs+json"),
            };
            using var verifyResponse = Call(check, "verifying an LFS upload");
            Ensure(verifyResponse, "verifying an LFS upload");
        }
    }

    private JsonNode? Send(HttpMethod method, string path, JsonObject? body, string what)
    {
        using var request = new HttpRequestMessage(method, _endpoint + path) { Content = body is null ? null : Json(body) };
        using var response = Call(request, what);
        Ensure(response, what);
        return JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
    }

    /// <summary>Sends request (with the token unless authorize is false); unreachable endpoints become a HubException.</summary>
    private HttpResponseMessage Call(HttpRequestMessage request, string what, bool authorize = true)
    {
        if (authorize) request.Headers.Authorization = _auth;
        try
        {
            return _http.Send(request);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new HubException($"{what}: {request.RequestUri} is unreachable ({e.Message}); check HF_ENDPOINT and the network");
        }
    }

    private static void Ensure(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode) return;
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        var hint = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? " — check HF_TOKEN (it needs write access)" : "";
        throw new HubException($"{what}: {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode} {response.ReasonPhrase}{hint}: {text[..Math.Min(text.Length, 300)]}");
    }

    private static StringContent Json(JsonObject body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public void Dispose() => _http.Dispose();
}

/// <summary>A Hub call that failed; the message names the call, the URL and what to check.</summary>
public sealed class HubException(string message) : Exception(message);

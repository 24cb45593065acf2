using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Gkd.Native.Training.Hub;

/// <summary>
/// The few Hugging Face Hub HTTP calls a push needs: whoami-v2 (token and endpoint check), repos/create, preupload
/// (which files go through LFS), the LFS upload of large files (LfsUpload.cs), and one commit carrying every file.
/// </summary>
public sealed partial class HubClient : IDisposable
{
    public const string DefaultEndpoint = "https://huggingface.co";
    private static readonly TimeSpan ApiTimeout = TimeSpan.FromMinutes(10);
    private readonly HttpClient _http;
    private readonly string _endpoint;
    private readonly AuthenticationHeaderValue _auth;

    public HubClient(string token, string? endpoint = null, HttpMessageHandler? handler = null)
    {
        _endpoint = (string.IsNullOrEmpty(endpoint) ? DefaultEndpoint : endpoint).TrimEnd('/');
        // Timeouts are per call (Call): a multi-GB upload takes as long as the uplink needs.
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.Timeout = Timeout.InfiniteTimeSpan;
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
            long size;
            var lfs = modes.GetValueOrDefault(path) == "lfs";
            if (lfs)
            {
                var obj = LfsObject.Of(full); // streamed: LFS files may be larger than any array
                UploadLfs(repoId, obj, full);
                lines.AppendLine(new JsonObject { ["key"] = "lfsFile", ["value"] = new JsonObject { ["path"] = path, ["algo"] = "sha256", ["oid"] = obj.Oid, ["size"] = obj.Size } }.ToJsonString());
                size = obj.Size;
            }
            else
            {
                var bytes = File.ReadAllBytes(full); // regular files are small text the Hub takes inline, base64 in the commit
                lines.AppendLine(new JsonObject { ["key"] = "file", ["value"] = new JsonObject { ["content"] = Convert.ToBase64String(bytes), ["path"] = path, ["encoding"] = "base64" } }.ToJsonString());
                size = bytes.Length;
            }
            log.WriteLine($"  {path} ({size:N0} bytes{(lfs ? ", LFS" : "")})");
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

    private JsonNode? Send(HttpMethod method, string path, JsonObject? body, string what)
    {
        using var request = new HttpRequestMessage(method, _endpoint + path) { Content = body is null ? null : Json(body) };
        using var response = Call(request, what);
        Ensure(response, what);
        return JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
    }

    /// <summary>
    /// Sends request (with the token unless authorize is false); unreachable endpoints become a HubException. A body
    /// streamed from a file has no time limit, every other call <see cref="ApiTimeout"/>.
    /// </summary>
    private HttpResponseMessage Call(HttpRequestMessage request, string what, bool authorize = true)
    {
        if (authorize) request.Headers.Authorization = _auth;
        using var timeout = new CancellationTokenSource(request.Content is FileRangeContent ? Timeout.InfiniteTimeSpan : ApiTimeout);
        try
        {
            return _http.Send(request, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new HubException($"{what}: {request.RequestUri} did not answer within {ApiTimeout.TotalMinutes:0} minutes; check HF_ENDPOINT and the network");
        }
        catch (HttpRequestException e)
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

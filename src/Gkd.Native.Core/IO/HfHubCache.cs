using System.Text.RegularExpressions;

namespace Gkd.Native.Core.IO;

/// <summary>
/// Finds a Hugging Face Hub repository (a model like "Qwen/Qwen2-0.5B-Instruct" or a dataset like
/// "trl-lib/chatbot_arena_completions") on local disk, the way huggingface_hub lays out its cache:
/// {cache}/models--Qwen--Qwen2-0.5B-Instruct/refs/main holds a commit hash naming snapshots/{hash}/. An existing
/// local directory always wins. Environment variables are read through a lookup function so callers (and tests)
/// can supply their own.
/// </summary>
public static partial class HfHubCache
{
    /// <summary>The snapshot directory of a model id, or <paramref name="idOrPath"/> itself when it is a directory.</summary>
    public static string ResolveModel(string idOrPath, Func<string, string?>? environment = null) =>
        Resolve(idOrPath, RepoKind.Model, environment ?? Environment.GetEnvironmentVariable);

    /// <summary>The snapshot directory of a dataset id, or <paramref name="idOrPath"/> itself when it is a directory.</summary>
    public static string ResolveDataset(string idOrPath, Func<string, string?>? environment = null) =>
        Resolve(idOrPath, RepoKind.Dataset, environment ?? Environment.GetEnvironmentVariable);

    /// <summary>
    /// The hub cache directories to search, in order, each with the setting it came from: $HF_HUB_CACHE,
    /// $HUGGINGFACE_HUB_CACHE (its older name), $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub.
    /// </summary>
    public static IReadOnlyList<(string Directory, string From)> CacheRoots(Func<string, string?> environment)
    {
        var roots = new List<(string, string)>();
        void AddIf(string variable, params string[] below)
        {
            if (environment(variable) is { Length: > 0 } value)
                roots.Add((Path.GetFullPath(Path.Combine([ExpandHome(value, environment), .. below])), "$" + variable));
        }
        AddIf("HF_HUB_CACHE");
        AddIf("HUGGINGFACE_HUB_CACHE");
        AddIf("HF_HOME", "hub");
        AddIf("XDG_CACHE_HOME", "huggingface", "hub");
        roots.Add((Path.Combine(Home(environment), ".cache", "huggingface", "hub"), "the default"));
        return roots.DistinctBy(r => r.Item1, StringComparer.Ordinal).ToArray();
    }

    private enum RepoKind { Model, Dataset }

    private static string Resolve(string idOrPath, RepoKind kind, Func<string, string?> environment)
    {
        var local = Path.GetFullPath(ExpandHome(idOrPath, environment));
        if (Directory.Exists(local)) return local;

        var noun = kind == RepoKind.Model ? "model" : "dataset";
        if (!RepoId().IsMatch(idOrPath) || idOrPath.Contains("..", StringComparison.Ordinal))
            throw new DirectoryNotFoundException(
                $"{noun} '{idOrPath}' is neither an existing directory ({local}) nor a Hub id like 'org/name'");

        var folder = $"{(kind == RepoKind.Model ? "models" : "datasets")}--{idOrPath.Replace("/", "--", StringComparison.Ordinal)}";
        var looked = new List<string> { $"{local} (as a local path): no such directory" };
        foreach (var (root, from) in CacheRoots(environment))
        {
            var repo = Path.Combine(root, folder);
            if (FindSnapshot(repo) is { } snapshot) return snapshot;
            looked.Add(Directory.Exists(repo)
                ? $"{repo} (cache from {from}): present but has no snapshot"
                : $"{repo} (cache from {from}): not there");
        }

        var download = kind == RepoKind.Model
            ? $"huggingface-cli download {idOrPath}"
            : $"huggingface-cli download --repo-type dataset {idOrPath}";
        throw new DirectoryNotFoundException(
            $"{noun} '{idOrPath}' was not found locally. Looked in:\n  " + string.Join("\n  ", looked) +
            $"\nGet it with `{download}` (fills the cache; set HF_HUB_CACHE or HF_HOME if it is elsewhere), " +
            $"or `{download} --local-dir DIR` and pass DIR instead of the id.");
    }

    /// <summary>snapshots/{refs/main}, else the only or newest snapshot; null when there is none.</summary>
    private static string? FindSnapshot(string repo)
    {
        var snapshots = Path.Combine(repo, "snapshots");
        if (!Directory.Exists(snapshots)) return null;
        var refMain = Path.Combine(repo, "refs", "main");
        if (File.Exists(refMain))
        {
            var hash = File.ReadAllText(refMain).Trim();
            var pinned = Path.Combine(snapshots, hash);
            if (hash.Length > 0 && Path.GetFileName(hash) == hash && Directory.Exists(pinned)) return pinned;
        }
        return new DirectoryInfo(snapshots).EnumerateDirectories()
            .OrderByDescending(d => d.LastWriteTimeUtc)
            .ThenBy(d => d.Name, StringComparer.Ordinal)
            .Select(d => d.FullName)
            .FirstOrDefault();
    }

    private static string Home(Func<string, string?> environment) =>
        environment("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string ExpandHome(string path, Func<string, string?> environment) =>
        path == "~" ? Home(environment)
        : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Home(environment), path[2..])
        : path;

    /// <summary>"name" or "org/name" with the characters the Hub allows.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")]
    private static partial Regex RepoId();
}

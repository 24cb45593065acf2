using Gkd.Native.Core.IO;
using NUnit.Framework;

namespace Gkd.Native.Tests.IO;

/// <summary>Resolution against fake cache trees; the environment is a dictionary, so the process environment is never touched.</summary>
public class HfHubCacheTests
{
    private const string Model = "Qwen/Qwen2-0.5B-Instruct";
    private const string ModelFolder = "models--Qwen--Qwen2-0.5B-Instruct";

    private string _root = "";
    private Dictionary<string, string> _env = [];

    [SetUp]
    public void SetUp()
    {
        _root = Support.TestPaths.TempDir("hfcache");
        _env = new Dictionary<string, string> { ["HOME"] = Path.Combine(_root, "home") };
    }

    private string? Env(string name) => _env.GetValueOrDefault(name);

    /// <summary>{cache}/{folder}/snapshots/{hash}/config.json for each hash, and refs/main when given.</summary>
    private static string MakeRepo(string cache, string folder, string? refMain, params string[] hashes)
    {
        var repo = Path.Combine(cache, folder);
        foreach (var hash in hashes)
        {
            var snapshot = Path.Combine(repo, "snapshots", hash);
            Directory.CreateDirectory(snapshot);
            File.WriteAllText(Path.Combine(snapshot, "config.json"), "{}");
        }
        if (refMain is not null)
        {
            Directory.CreateDirectory(Path.Combine(repo, "refs"));
            File.WriteAllText(Path.Combine(repo, "refs", "main"), refMain + "\n");
        }
        return repo;
    }

    [Test]
    public void Hf_hub_cache_with_refs_main()
    {
        var cache = Path.Combine(_root, "hub-cache");
        var repo = MakeRepo(cache, ModelFolder, "abc123", "abc123", "fff999");
        _env["HF_HUB_CACHE"] = cache;
        Assert.That(HfHubCache.ResolveModel(Model, Env), Is.EqualTo(Path.Combine(repo, "snapshots", "abc123")));
    }

    [Test]
    public void Hf_home_hub_when_hf_hub_cache_is_unset()
    {
        var home = Path.Combine(_root, "hf-home");
        var repo = MakeRepo(Path.Combine(home, "hub"), ModelFolder, "c0ffee", "c0ffee");
        _env["HF_HOME"] = home;
        Assert.That(HfHubCache.ResolveModel(Model, Env), Is.EqualTo(Path.Combine(repo, "snapshots", "c0ffee")));
    }

    [Test]
    public void Hf_hub_cache_wins_over_hf_home()
    {
        var cache = Path.Combine(_root, "hub-cache");
        var home = Path.Combine(_root, "hf-home");
        var first = MakeRepo(cache, ModelFolder, "one", "one");
        MakeRepo(Path.Combine(home, "hub"), ModelFolder, "two", "two");
        _env["HF_HUB_CACHE"] = cache;
        _env["HF_HOME"] = home;
        Assert.That(HfHubCache.ResolveModel(Model, Env), Is.EqualTo(Path.Combine(first, "snapshots", "one")));
    }

    [Test]
    public void Falls_through_to_the_default_cache_under_home()
    {
        _env["HF_HUB_CACHE"] = Path.Combine(_root, "empty-cache");
        var repo = MakeRepo(Path.Combine(_root, "home", ".cache", "huggingface", "hub"), ModelFolder, "d00d", "d00d");
        Assert.That(HfHubCache.ResolveModel(Model, Env), Is.EqualTo(Path.Combine(repo, "snapshots", "d00d")));
    }

    [Test]
    public void Without_refs_main_the_newest_snapshot()
    {
        var cache = Path.Combine(_root, "hub-cache");
        var repo = MakeRepo(cache, ModelFolder, null, "old", "new", "middle");
        Directory.SetLastWriteTimeUtc(Path.Combine(repo, "snapshots", "old"), new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Directory.SetLastWriteTimeUtc(Path.Combine(repo, "snapshots", "middle"), new DateTime(2024, 6, 1, 0, 0, 0, DateTimeKind.Utc));
        Directory.SetLastWriteTimeUtc(Path.Combine(repo, "snapshots", "new"), new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        _env["HF_HUB_CACHE"] = cache;
        Assert.That(HfHubCache.ResolveModel(Model, Env), Is.EqualTo(Path.Combine(repo, "snapshots", "new")));
    }

    [Test]
    public void Without_refs_main_the_only_snapshot()
    {
        var cache = Path.Combine(_root, "hub-cache");
        var repo = MakeRepo(cache, ModelFolder, null, "only");
        _env["HF_HUB_CACHE"] = cache;
        Assert.That(HfHubCache.ResolveModel(Model, Env), Is.EqualTo(Path.Combine(repo, "snapshots", "only")));
    }

    [Test]
    public void Datasets_use_their_own_folder()
    {
        var cache = Path.Combine(_root, "hub-cache");
        MakeRepo(cache, "models--trl-lib--chatbot_arena_completions", "m", "m");
        var repo = MakeRepo(cache, "datasets--trl-lib--chatbot_arena_completions", "d1", "d1");
        _env["HF_HUB_CACHE"] = cache;
        Assert.That(HfHubCache.ResolveDataset("trl-lib/chatbot_arena_completions", Env),
            Is.EqualTo(Path.Combine(repo, "snapshots", "d1")));
    }

    [Test]
    public void An_existing_local_path_wins()
    {
        var cache = Path.Combine(_root, "hub-cache");
        MakeRepo(cache, ModelFolder, "abc", "abc");
        _env["HF_HUB_CACHE"] = cache;
        var local = Path.Combine(_root, "my-model");
        Directory.CreateDirectory(local);
        Assert.That(HfHubCache.ResolveModel(local, Env), Is.EqualTo(local));
        Assert.That(HfHubCache.ResolveModel("~/", e => e == "HOME" ? local : null), Is.EqualTo(local));
    }

    [Test]
    public void Missing_model_lists_every_place_and_how_to_get_it()
    {
        var cache = Path.Combine(_root, "hub-cache");
        var home = Path.Combine(_root, "hf-home");
        Directory.CreateDirectory(Path.Combine(cache, ModelFolder, "snapshots"));
        _env["HF_HUB_CACHE"] = cache;
        _env["HF_HOME"] = home;
        var e = Assert.Throws<DirectoryNotFoundException>(() => HfHubCache.ResolveModel(Model, Env))!;
        Assert.That(e.Message, Does.Contain($"model '{Model}' was not found locally")
            .And.Contain(Path.GetFullPath(Model) + " (as a local path)")
            .And.Contain(Path.Combine(cache, ModelFolder) + " (cache from $HF_HUB_CACHE): present but has no snapshot")
            .And.Contain(Path.Combine(home, "hub", ModelFolder) + " (cache from $HF_HOME): not there")
            .And.Contain(Path.Combine(_root, "home", ".cache", "huggingface", "hub", ModelFolder) + " (cache from the default)")
            .And.Contain($"huggingface-cli download {Model}")
            .And.Contain("--local-dir DIR"));
    }

    [Test]
    public void Missing_dataset_says_repo_type_dataset()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => HfHubCache.ResolveDataset("trl-lib/nothing", Env))!;
        Assert.That(e.Message, Does.Contain("datasets--trl-lib--nothing").And.Contain("huggingface-cli download --repo-type dataset trl-lib/nothing"));
    }

    [TestCase("a/b/c")]
    [TestCase("org/../x")]
    [TestCase("/no/such/dir/anywhere")]
    public void Neither_a_directory_nor_an_id(string id)
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => HfHubCache.ResolveModel(id, Env))!;
        Assert.That(e.Message, Does.Contain("is neither an existing directory").And.Contain("nor a Hub id like 'org/name'"));
    }

    [Test]
    public void Cache_roots_in_order_without_duplicates()
    {
        _env["HF_HUB_CACHE"] = Path.Combine(_root, "h", "hub");
        _env["HF_HOME"] = Path.Combine(_root, "h");
        _env["XDG_CACHE_HOME"] = Path.Combine(_root, "xdg");
        Assert.That(HfHubCache.CacheRoots(Env), Is.EqualTo(new[]
        {
            (Path.Combine(_root, "h", "hub"), "$HF_HUB_CACHE"),
            (Path.Combine(_root, "xdg", "huggingface", "hub"), "$XDG_CACHE_HOME"),
            (Path.Combine(_root, "home", ".cache", "huggingface", "hub"), "the default"),
        }));
    }
}

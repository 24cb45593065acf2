using Gkd.Native.Cuda.Interop;
using Gkd.Native.Cuda.Runtime;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Runtime;

public class KernelCacheTests
{
    private static readonly string[] Options = new NvrtcTarget("sm_90a").Options().ToArray();
    private static readonly Version Nvrtc = new(13, 0);

    private static SearchEnvironment Env(string home, params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return new SearchEnvironment(name => map.GetValueOrDefault(name), home, "/");
    }

    [Test]
    public void The_key_depends_on_source_options_arch_and_nvrtc_version_and_nothing_else()
    {
        var source = new KernelSource("rmsnorm", "extern \"C\" __global__ void k() {}");
        var key = KernelCache.Key(source.Hash, Options, "sm_90a", Nvrtc);
        Assert.Multiple(() =>
        {
            Assert.That(key, Does.Match("^[0-9a-f]{64}$"));
            Assert.That(KernelCache.Key(new KernelSource("rmsnorm", source.Text).Hash, Options, "sm_90a", Nvrtc), Is.EqualTo(key));
            Assert.That(KernelCache.Key(new KernelSource("rmsnorm", source.Text + " ").Hash, Options, "sm_90a", Nvrtc), Is.Not.EqualTo(key));
            Assert.That(KernelCache.Key(source.Hash, [.. Options, "-G"], "sm_90a", Nvrtc), Is.Not.EqualTo(key));
            Assert.That(KernelCache.Key(source.Hash, Options, "sm_80", Nvrtc), Is.Not.EqualTo(key));
            Assert.That(KernelCache.Key(source.Hash, Options, "sm_90a", new Version(13, 1)), Is.Not.EqualTo(key));
        });
    }

    [Test]
    public void The_directory_is_the_variable_else_xdg_cache_else_home_cache()
    {
        Assert.Multiple(() =>
        {
            Assert.That(KernelCache.DefaultDirectory(Env("/home/u", ("GKD_KERNEL_CACHE", "/scratch/k"), ("XDG_CACHE_HOME", "/x"))),
                Is.EqualTo("/scratch/k"));
            Assert.That(KernelCache.DefaultDirectory(Env("/home/u", ("XDG_CACHE_HOME", "/x"))), Is.EqualTo("/x/gkd/kernels"));
            Assert.That(KernelCache.DefaultDirectory(Env("/home/u")), Is.EqualTo("/home/u/.cache/gkd/kernels"));
        });
    }

    [Test]
    public void Entries_are_named_by_kernel_and_key_and_round_trip_without_leftovers()
    {
        var cache = new KernelCache(Path.Join(TestPaths.TempDir("kernels"), "nested"));
        var key = new string('a', 64);
        var cubinPath = cache.PathFor("attention", key, KernelImageKind.Cubin);
        var ptxPath = cache.PathFor("attention", key, KernelImageKind.Ptx);
        Assert.That(cubinPath, Is.EqualTo(Path.Join(cache.Directory, $"attention-{key}.cubin")));
        Assert.That(ptxPath, Is.EqualTo(Path.Join(cache.Directory, $"attention-{key}.ptx")));

        Assert.That(KernelCache.TryRead(cubinPath, KernelImageKind.Cubin), Is.Null, "absent");
        var image = new KernelImage(KernelImageKind.Cubin, [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3]);
        KernelCache.Write(cubinPath, image);

        var read = KernelCache.TryRead(cubinPath, KernelImageKind.Cubin);
        Assert.That(read, Is.Not.Null);
        Assert.That(read!.Bytes, Is.EqualTo(image.Bytes));
        Assert.That(read.Kind, Is.EqualTo(KernelImageKind.Cubin));
        Assert.That(Directory.GetFiles(cache.Directory).Select(Path.GetFileName), Is.EqualTo(new[] { $"attention-{key}.cubin" }),
            "the atomic write leaves no temporary behind");
    }

    [TestCase("flip")]
    [TestCase("truncate")]
    [TestCase("magic")]
    [TestCase("empty")]
    public void A_corrupt_entry_reads_as_missing_and_is_deleted(string damage)
    {
        var cache = new KernelCache(TestPaths.TempDir("kernels"));
        var path = cache.PathFor("swiglu", new string('b', 64), KernelImageKind.Ptx);
        KernelCache.Write(path, new KernelImage(KernelImageKind.Ptx, "//\n.version 8.0\n.target sm_90\n\0"u8.ToArray()));
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "flip": bytes[^3] ^= 0x20; break;
            case "truncate": bytes = bytes[..^4]; break;
            case "magic": bytes[0] = (byte)'X'; break;
            default: bytes = []; break;
        }
        File.WriteAllBytes(path, bytes);

        Assert.That(KernelCache.TryRead(path, KernelImageKind.Ptx), Is.Null);
        Assert.That(File.Exists(path), Is.False, "so that the recompiled image takes its place");
    }

    [Test]
    public void An_unwritable_cache_costs_a_recompile_not_the_run()
    {
        var dir = TestPaths.TempDir("kernels");
        var blocker = Path.Join(dir, "not-a-directory");
        File.WriteAllText(blocker, "");
        var cache = new KernelCache(blocker);
        var path = cache.PathFor("adamw", new string('c', 64), KernelImageKind.Cubin);
        Assert.DoesNotThrow(() => KernelCache.Write(path, new KernelImage(KernelImageKind.Cubin, [1, 2, 3])));
        Assert.That(KernelCache.TryRead(path, KernelImageKind.Cubin), Is.Null);
    }
}

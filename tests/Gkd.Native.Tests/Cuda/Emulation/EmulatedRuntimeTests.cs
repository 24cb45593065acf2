using Gkd.Native.Cuda.Runtime;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Emulation;

/// <summary>EmulatedRuntime's memory, launch checks, argument packing, module loading and build cache.</summary>
[Category("KernelEmulation")]
public sealed class EmulatedRuntimeTests
{
    private const string TinyKernel = """
        #include "common.cuh"
        // out (n) = in (n) + 1
        extern "C" __global__ void tiny_add_one(float* out, const float* in, int n)
        {
            int i = (int)(blockIdx.x * blockDim.x + threadIdx.x);
            if (i < n) out[i] = in[i] + 1.0f;
        }
        """;

    private EmulatedRuntime _runtime = null!;
    private IKernelModule _probe = null!;

    [OneTimeSetUp]
    public void Create()
    {
        _runtime = new EmulatedRuntime();
        _probe = _runtime.LoadModule(ProbeKernels.Source);
    }

    [OneTimeTearDown]
    public void Dispose()
    {
        _probe.Dispose();
        _runtime.Dispose();
    }

    [Test]
    public void DescribesItselfAsAnSm80WithTheSmallestOptInSharedMemory()
    {
        Assert.That(_runtime.ComputeCapability, Is.EqualTo(80));
        Assert.That(_runtime.MaxSharedMemoryPerBlock, Is.EqualTo(99 * 1024));
        Assert.That(_runtime.MultiprocessorCount, Is.Positive);
        Assert.That(_runtime.Description, Does.StartWith("CUDA emulation on the CPU ("));
    }

    [Test]
    public void Memory_CopiesSetsAndFrees()
    {
        var a = _runtime.Allocate(13);
        Assert.That(_runtime.Download<byte>(a, 13), Is.All.EqualTo(0xFF), "fresh memory reads as 0xFF");
        Assert.That(a.Address % 64, Is.Zero, "64-byte aligned");
        var bytes = Enumerable.Range(1, 13).Select(i => (byte)i).ToArray();
        _runtime.CopyToDevice(a, bytes);
        var b = _runtime.Allocate(13);
        _runtime.CopyDeviceToDevice(b, a, 13);
        Assert.That(_runtime.Download<byte>(b, 13), Is.EqualTo(bytes));
        _runtime.Memset(b.Offset(3), 0x5A, 4);
        Assert.That(_runtime.Download<byte>(b, 13), Is.EqualTo(bytes.Select((v, i) => i is >= 3 and < 7 ? (byte)0x5A : v)));

        _runtime.Free(a);
        _runtime.Free(DevicePtr.Null);
        Assert.Throws<ArgumentException>(() => _runtime.Free(a), "double free");
        Assert.Throws<ArgumentOutOfRangeException>(() => _runtime.Allocate(0));
        Assert.Throws<ArgumentException>(() => _runtime.CopyToDevice(DevicePtr.Null, bytes));
        _runtime.Free(b);
    }

    [Test]
    public void KernelArgs_PackEachSizeInOrder()
    {
        var output = _runtime.Zeros<long>(5);
        var floats = _runtime.Zeros<float>(1);
        var args = new KernelArgs();
        args.Add(output).Add(floats).Add(-7).Add(0xFFFF_FFF0u).Add(-1L << 40).Add(0x8000_0000_0000_0001UL).Add(-2.5f).Add(int.MaxValue);
        Assert.That(args.Count, Is.EqualTo(8));
        args.Launch(_runtime, _probe.Function("probe_args"), new Dim3(1), new Dim3(1), 0);

        Assert.That(_runtime.Download<long>(output, 5), Is.EqualTo(new[] { -7L, 0xFFFF_FFF0L, -1L << 40, unchecked((long)0x8000_0000_0000_0001UL), int.MaxValue }));
        Assert.That(_runtime.Download<float>(floats, 1), Is.EqualTo(new[] { -2.5f }));
    }

    [Test]
    public void KernelArgs_RefuseMoreThanTheirCapacity()
    {
        Assert.Throws<InvalidOperationException>(() =>
        {
            var args = new KernelArgs();
            for (var i = 0; i <= KernelArgs.Capacity; i++) args.Add(i);
        });
    }

    [TestCase(1025u, 1u, 1u, 1u, 1u, 0, "block")]
    [TestCase(1u, 1u, 65u, 1u, 1u, 0, "block")]
    [TestCase(0u, 1u, 1u, 1u, 1u, 0, "block")]
    [TestCase(32u, 1u, 1u, 1u, 65536u, 0, "grid")]
    [TestCase(32u, 1u, 1u, 0u, 1u, 0, "grid")]
    [TestCase(32u, 1u, 1u, 1u, 1u, 99 * 1024 + 1, "dynamic shared memory")]
    [TestCase(32u, 1u, 1u, 1u, 1u, -1, "dynamic shared memory")]
    public void Launch_RefusesShapesCudaRefuses(uint bx, uint by, uint bz, uint gx, uint gy, int shared, string what)
    {
        var e = Assert.Throws<KernelLaunchException>(() =>
        {
            var args = new KernelArgs();
            args.Add(_runtime.Zeros<int>(64));
            args.Launch(_runtime, _probe.Function("probe_trap"), new Dim3(gx, gy), new Dim3(bx, by, bz), shared);
        });
        Assert.That(e!.Message, Does.StartWith("kernel emulation_probe/probe_trap: invalid launch:").And.Contain(what));
    }

    [Test]
    public void Module_NamesAMissingFunction()
    {
        var e = Assert.Throws<ArgumentException>(() => _probe.Function("no_such_kernel"));
        Assert.That(e!.Message, Does.Contain("'emulation_probe'").And.Contain("'no_such_kernel'"));
    }

    [Test]
    public void DisposedModule_CannotLaunch()
    {
        var module = _runtime.LoadModule(ProbeKernels.Source);
        var function = module.Function("probe_trap");
        module.Dispose();
        Assert.Throws<ObjectDisposedException>(() => module.Function("probe_trap"));
        Assert.Throws<ArgumentException>(() =>
        {
            var args = new KernelArgs();
            args.Add(_runtime.Zeros<int>(1));
            args.Launch(_runtime, function, new Dim3(1), new Dim3(1), 0);
        });
        // The fixture's own handle on the same library still works.
        LaunchTrapFree();
    }

    [Test]
    public void CompileError_CarriesTheCompilersMessageAndTheKernel()
    {
        var source = KernelLibrary.Compose("broken_probe", """
            #include "common.cuh"
            extern "C" __global__ void broken(float* out)
            {
                out[0] = undeclared_name;
            }
            """);
        var e = Assert.Throws<KernelCompileException>(() => _runtime.LoadModule(source));
        Assert.That(e!.Kernel, Is.EqualTo("broken_probe"));
        Assert.That(e.Log, Does.Contain("broken_probe.cu:4").And.Contain("undeclared_name"));
    }

    [Test]
    public void Build_IsCachedOnDisk()
    {
        var cache = TestPaths.TempDir("emulation-cache");
        try
        {
            var source = KernelLibrary.Compose("tiny", TinyKernel);
            using (var first = new EmulatedRuntime(cache))
            using (first.LoadModule(source))
                Assert.That(first.CacheDirectory, Is.EqualTo(Path.GetFullPath(cache)));
            var library = Directory.GetFiles(cache, "tiny-*.so").Single();
            var built = File.GetLastWriteTimeUtc(library);

            using var second = new EmulatedRuntime(cache);
            using var module = second.LoadModule(source);
            Assert.That(Directory.GetFiles(cache, "*.so").Single(), Is.EqualTo(library));
            Assert.That(File.GetLastWriteTimeUtc(library), Is.EqualTo(built), "reused, not rebuilt");

            var input = second.Upload(new[] { 1f, 2f, 3f });
            var output = second.Zeros<float>(3);
            var args = new KernelArgs();
            args.Add(output).Add(input).Add(3);
            args.Launch(second, module.Function("tiny_add_one"), new Dim3(1), new Dim3(32), 0);
            Assert.That(second.Download<float>(output, 3), Is.EqualTo(new[] { 2f, 3f, 4f }));

            using var changed = second.LoadModule(KernelLibrary.Compose("tiny", TinyKernel.Replace("+ 1.0f", "+ 2.0f")));
            Assert.That(Directory.GetFiles(cache, "tiny-*.so"), Has.Length.EqualTo(2), "a changed text is a new build");
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Test]
    public void KernelLibrary_EmbedsTheKernelsWithCommonInlined()
    {
        var onDisk = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "kernels"), "*.cu").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        Assert.That(KernelLibrary.Names, Is.EqualTo(onDisk));
        var cast = KernelLibrary.Get("cast");
        Assert.That(cast.Text, Does.StartWith("#line 1 \"cast.cu\"\n").And.Contain("#line 1 \"common.cuh\"\n"));
        Assert.That(cast.Text, Does.Not.Match(@"(?m)^\s*#\s*include"), "no include directive left");
        Assert.That(EmulationBuild.KernelNames(cast.Text), Is.EqualTo(new[] { "cast_f32_to_bf16", "cast_bf16_to_f32" }));
        Assert.That(() => KernelLibrary.Get("no_such_file"), Throws.ArgumentException.With.Message.Contain("cast"));
        Assert.That(() => KernelLibrary.Compose("x", "#include <math.h>\n"), Throws.TypeOf<InvalidDataException>());
    }

    [Test]
    public void KernelNames_FindDeclarationsWithLaunchBoundsAndSkipComments()
    {
        const string text = """
            // extern "C" __global__ void commented_out(int* p)
            /* extern "C" __global__ void also_commented(int* p) */
            extern "C" __global__ void __launch_bounds__(256) bounded(int* p) {}
            extern "C"
            __global__ void split_lines (int* p) {}
            """;
        Assert.That(EmulationBuild.KernelNames(text), Is.EqualTo(new[] { "bounded", "split_lines" }));
    }

    private void LaunchTrapFree()
    {
        var output = _runtime.Zeros<float>(4);
        var args = new KernelArgs();
        args.Add(output).Add(_runtime.Upload(new[] { 1f, 2f, 3f, 4f })).Add(4L);
        args.Launch(_runtime, _probe.Function("probe_grid_stride"), new Dim3(1), new Dim3(3), 0);
        Assert.That(_runtime.Download<float>(output, 4), Is.EqualTo(new[] { 3f, 5f, 7f, 9f }));
    }
}

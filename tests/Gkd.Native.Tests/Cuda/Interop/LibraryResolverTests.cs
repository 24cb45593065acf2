using System.Diagnostics;
using System.Runtime.InteropServices;
using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Tests.Cuda.Interop;

public class LibraryResolverTests
{
    private static void AssumeSystemLoaderLacks(CudaLibrary library)
    {
        foreach (var name in library.FileNames())
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            NativeLibrary.Free(handle);
            Assert.Ignore($"this machine's loader finds {name}");
        }
    }

    [Test]
    public void A_library_that_is_not_there_fails_with_every_directory_and_name_tried_and_what_to_install()
    {
        AssumeSystemLoaderLacks(CudaLibrary.Nvrtc);
        var tree = new FakeCudaTree(("CUDA_PATH", "$ROOT/opt/cuda"), ("VIRTUAL_ENV", "$ROOT/venv"));
        var broken = tree.File("/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libnvrtc.so.13");
        var resolver = new LibraryResolver(tree.Environment);

        var error = Assert.Throws<CudaUnavailableException>(() => resolver.Load(CudaLibrary.Nvrtc))!;

        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.StartWith("NVRTC (libnvrtc.so.13) could not be loaded"));
            Assert.That(error.Message, Does.Contain("libnvrtc.so.13, libnvrtc.so.12, libnvrtc.so"));
            Assert.That(error.Message, Does.Contain($"{tree.At("/opt/cuda/lib64")} ($CUDA_PATH/lib64)"));
            Assert.That(error.Message, Does.Contain($"{tree.At("/usr/local/cuda/lib64")} (CUDA toolkit)"));
            Assert.That(error.Message, Does.Contain($"{Path.GetDirectoryName(broken)} (pip)"));
            Assert.That(error.Message, Does.Contain($"{broken}: "), "a file that exists but does not load is reported with the loader's reason");
            Assert.That(error.Message, Does.Contain("\n  libnvrtc.so.12: "), "then the bare names through the system loader");
            Assert.That(error.Message, Does.Contain("CUDA_PATH").And.Contain("LD_LIBRARY_PATH").And.Contain("pip install nvidia-cuda-nvrtc"));
            Assert.That(resolver.IsLoaded(CudaLibrary.Nvrtc), Is.False);
            Assert.That(resolver.LoadedFrom(CudaLibrary.Nvrtc), Is.Null);
        });
    }

    [Test]
    public void A_failure_is_remembered_so_later_attempts_fail_at_once_with_the_same_message()
    {
        AssumeSystemLoaderLacks(CudaLibrary.Cublas);
        var resolver = new LibraryResolver(new FakeCudaTree().Environment);
        var first = Assert.Throws<CudaUnavailableException>(() => resolver.Load(CudaLibrary.Cublas))!;
        var clock = Stopwatch.StartNew();
        var second = Assert.Throws<CudaUnavailableException>(() => resolver.Load(CudaLibrary.Cublas))!;
        Assert.That(second.Message, Is.EqualTo(first.Message));
        Assert.That(clock.ElapsedMilliseconds, Is.LessThan(50));
    }

    [Test]
    public void Only_the_loaders_own_words_are_kept_from_a_dotnet_load_failure()
    {
        const string dotnet = "Unable to load shared library 'libcuda.so.1' or one of its dependencies. In order to help diagnose "
            + "loading problems, consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG "
            + "environment variable: \nlibcuda.so.1: cannot open shared object file: No such file or directory\n";
        Assert.That(LibraryResolver.LoaderReason(dotnet), Is.EqualTo("libcuda.so.1: cannot open shared object file: No such file or directory"));
        Assert.That(LibraryResolver.LoaderReason("invalid ELF header"), Is.EqualTo("invalid ELF header"));
    }

    [Test]
    public void Directories_are_computed_once()
    {
        var resolver = new LibraryResolver(new FakeCudaTree().Environment);
        var first = resolver.Directories;
        Assert.That(resolver.Directories, Is.SameAs(first));
    }

    [Test]
    public void The_import_names_of_the_bindings_map_back_to_their_libraries()
    {
        foreach (var library in Enum.GetValues<CudaLibrary>())
        {
            Assert.That(CudaLibraryInfo.TryParseImportName(library.ImportName(), out var parsed), Is.True);
            Assert.That(parsed, Is.EqualTo(library));
        }
        Assert.That(CudaLibraryInfo.TryParseImportName("libc", out _), Is.False, "other libraries are left to the default loader");
    }

    [Test]
    public void Registering_the_resolver_twice_is_harmless()
    {
        LibraryResolver.Register();
        Assert.DoesNotThrow(LibraryResolver.Register);
    }
}

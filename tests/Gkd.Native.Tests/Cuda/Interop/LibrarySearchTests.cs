using Gkd.Native.Cuda.Interop;

namespace Gkd.Native.Tests.Cuda.Interop;

public class LibrarySearchTests
{
    [Test]
    public void Directories_come_in_the_documented_order_newest_toolkit_and_python_first()
    {
        var tree = new FakeCudaTree(
            ("CUDA_PATH", "$ROOT/opt/cuda"),
            ("LD_LIBRARY_PATH", "$ROOT/ld/one::relative/dir:$ROOT/ld/two:$ROOT/opt/cuda/lib64"),
            ("VIRTUAL_ENV", "$ROOT/venv"),
            ("CONDA_PREFIX", "$ROOT/conda"));
        foreach (var toolkit in new[] { "cuda-12.4", "cuda-13.0", "cuda-12.10", "cuda" })
            tree.Dir($"/usr/local/{toolkit}/lib64");
        tree.Dir("/venv/lib/python3.12/site-packages/nvidia/cu13/lib");
        tree.Dir("/venv/lib/python3.12/site-packages/nvidia/cuda_nvrtc/lib");
        tree.Dir("/venv/lib/python3.12/site-packages/nvidia/no_lib_here");
        tree.Dir("/conda/lib/python3.11/site-packages/nvidia/cublas/lib");
        tree.Dir("/home/user/.local/lib/python3.10/site-packages/nvidia/cublas/lib");
        tree.Dir("/usr/local/lib/python3.9/dist-packages/nvidia/cublas/lib");
        tree.Dir("/usr/local/lib/python3.11/dist-packages/nvidia/cuda_nvrtc/lib");
        tree.Dir("/usr/lib/python3/dist-packages/nvidia/cublas/lib");

        var directories = LibrarySearch.Directories(tree.Environment).Select(d => d.Path).ToList();

        var sitePackages = "lib/python3.12/site-packages/nvidia";
        Assert.That(directories, Is.EqualTo(new[]
        {
            tree.At("/opt/cuda/lib64"),
            tree.At("/usr/local/cuda/lib64"),
            tree.At("/usr/local/cuda-13.0/lib64"),
            tree.At("/usr/local/cuda-12.10/lib64"),
            tree.At("/usr/local/cuda-12.4/lib64"),
            tree.At("/ld/one"),
            tree.At("/ld/two"),
            tree.At($"/venv/{sitePackages}/cu13/lib"),
            tree.At($"/venv/{sitePackages}/cuda_nvrtc/lib"),
            tree.At("/conda/lib/python3.11/site-packages/nvidia/cublas/lib"),
            tree.At("/home/user/.local/lib/python3.10/site-packages/nvidia/cublas/lib"),
            tree.At("/usr/local/lib/python3.11/dist-packages/nvidia/cuda_nvrtc/lib"),
            tree.At("/usr/local/lib/python3.9/dist-packages/nvidia/cublas/lib"),
            tree.At("/usr/lib/python3/dist-packages/nvidia/cublas/lib"),
            tree.At("/conda/lib"),
            tree.At($"/usr/lib/{SearchEnvironment.MultiarchTriplet}"),
            tree.At("/usr/lib64"),
            tree.At("/usr/lib/wsl/lib"),
        }), "CUDA_PATH, toolkits (newest first), LD_LIBRARY_PATH (empty, relative and repeated entries dropped), pip, conda, system");
    }

    [Test]
    public void Each_directory_is_described_by_where_it_came_from()
    {
        var tree = new FakeCudaTree(("CUDA_PATH", "$ROOT/opt/cuda"), ("LD_LIBRARY_PATH", "$ROOT/ld"));
        tree.Dir("/usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib");
        var origins = LibrarySearch.Directories(tree.Environment).ToDictionary(d => d.Path, d => d.Origin);
        Assert.Multiple(() =>
        {
            Assert.That(origins[tree.At("/opt/cuda/lib64")], Is.EqualTo("$CUDA_PATH/lib64"));
            Assert.That(origins[tree.At("/ld")], Is.EqualTo("$LD_LIBRARY_PATH"));
            Assert.That(origins[tree.At("/usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib")], Is.EqualTo("pip"));
            Assert.That(origins[tree.At("/usr/local/cuda/lib64")], Is.EqualTo("CUDA toolkit"));
        });
    }

    [Test]
    public void Candidates_keep_directory_order_prefer_13_over_12_within_a_directory_and_end_with_bare_names()
    {
        var tree = new FakeCudaTree(("VIRTUAL_ENV", "$ROOT/venv"));
        var toolkit12 = tree.File("/usr/local/cuda/lib64/libnvrtc.so.12");
        var pip12 = tree.File("/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libnvrtc.so.12");
        var pip13 = tree.File("/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libnvrtc.so.13");
        var unversioned = tree.File("/usr/lib64/libnvrtc.so");
        tree.File("/usr/local/cuda/lib64/libcublas.so.13");

        var candidates = LibrarySearch.Candidates(CudaLibrary.Nvrtc, LibrarySearch.Directories(tree.Environment));

        Assert.That(candidates, Is.EqualTo(new[]
        {
            toolkit12, pip13, pip12, unversioned, "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so",
        }));
    }

    [Test]
    public void Versioned_names_are_newest_first_for_every_library()
    {
        Assert.Multiple(() =>
        {
            Assert.That(CudaLibrary.Driver.FileNames(), Is.EqualTo(new[] { "libcuda.so.1", "libcuda.so" }));
            Assert.That(CudaLibrary.Nvrtc.FileNames(), Is.EqualTo(new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so" }));
            Assert.That(CudaLibrary.Cublas.FileNames(), Is.EqualTo(new[] { "libcublas.so.13", "libcublas.so.12", "libcublas.so" }));
            Assert.That(CudaLibrary.CublasLt.FileNames(), Is.EqualTo(new[] { "libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so" }));
        });
    }

    [Test]
    public void The_driver_is_never_taken_from_a_toolkits_link_stubs()
    {
        var tree = new FakeCudaTree(("LD_LIBRARY_PATH", "$ROOT/usr/local/cuda/lib64/stubs:$ROOT/nvidia/lib64"));
        tree.File("/usr/local/cuda/lib64/stubs/libcuda.so");
        var real = tree.File("/nvidia/lib64/libcuda.so.1");
        var candidates = LibrarySearch.Candidates(CudaLibrary.Driver, LibrarySearch.Directories(tree.Environment));
        Assert.That(candidates, Is.EqualTo(new[] { real, "libcuda.so.1", "libcuda.so" }));
    }

    [Test]
    public void Companions_are_the_same_major_version_from_the_same_directory()
    {
        var tree = new FakeCudaTree();
        var lib = "/venv/lib/python3.12/site-packages/nvidia/cu13/lib";
        var nvrtc = tree.File($"{lib}/libnvrtc.so.13");
        var builtins13 = tree.File($"{lib}/libnvrtc-builtins.so.13.0");
        tree.File($"{lib}/libnvrtc-builtins.so.12.8");
        var cublas = tree.File($"{lib}/libcublas.so.13");
        var cublasLt = tree.File($"{lib}/libcublasLt.so.13");
        tree.File($"{lib}/libcublasLt.so.12");
        var unversioned = tree.File("/opt/lib/libcublas.so");
        var unversionedLt = tree.File("/opt/lib/libcublasLt.so");

        Assert.Multiple(() =>
        {
            Assert.That(LibrarySearch.Companions(CudaLibrary.Nvrtc, nvrtc), Is.EqualTo(new[] { builtins13 }));
            Assert.That(LibrarySearch.Companions(CudaLibrary.Cublas, cublas), Is.EqualTo(new[] { cublasLt }));
            Assert.That(LibrarySearch.Companions(CudaLibrary.Cublas, unversioned), Is.EqualTo(new[] { unversionedLt }));
            Assert.That(LibrarySearch.Companions(CudaLibrary.Driver, tree.File("/opt/lib/libcuda.so.1")), Is.Empty);
            Assert.That(LibrarySearch.Companions(CudaLibrary.Cublas, "libcublas.so.13"), Is.Empty, "bare names: the system loader resolves dependencies");
        });
    }
}

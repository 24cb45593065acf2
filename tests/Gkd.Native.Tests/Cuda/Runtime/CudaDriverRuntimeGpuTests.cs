using System.Runtime.InteropServices;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Cuda.Interop;
using Gkd.Native.Cuda.Runtime;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Runtime;

/// <summary>
/// The driver runtime on a real GPU: memory, NVRTC compilation and the kernel cache, cuBLAS against a CPU reference,
/// graphs and timing. Ignored (not passed) on a machine without CUDA. (Launches take a void** of arguments, so they
/// are exercised through the kernel launchers' own GPU tests; this project compiles without unsafe code.)
/// </summary>
[Category("Cuda")]
[NonParallelizable]
public class CudaDriverRuntimeGpuTests
{
    private const string Kernels = """
        extern "C" __global__ void axpy(float* y, const float* x, float a, int n) {
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i < n) y[i] += a * x[i];
        }
        extern "C" __global__ void reverse_in_shared(float* out, const float* in, int n) {
            extern __shared__ float tile[];
            for (int i = threadIdx.x; i < n; i += blockDim.x) tile[i] = in[i];
            __syncthreads();
            for (int i = threadIdx.x; i < n; i += blockDim.x) out[i] = tile[n - 1 - i];
        }
        """;

    private CudaDriverRuntime _runtime = null!;

    [OneTimeSetUp]
    public void Start()
    {
        Environment.SetEnvironmentVariable("GKD_KERNEL_CACHE", TestPaths.TempDir("gpu-kernels"));
        try
        {
            _runtime = CudaDriverRuntime.Create();
        }
        catch (CudaUnavailableException e)
        {
            Assert.Ignore($"no CUDA here: {e.Message.Split('\n')[0]}");
        }
        finally
        {
            Environment.SetEnvironmentVariable("GKD_KERNEL_CACHE", null);
        }
    }

    [OneTimeTearDown]
    public void Stop() => _runtime?.Dispose();

    private DevicePtr Upload<T>(T[] values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        var ptr = _runtime.Allocate(bytes.Length);
        _runtime.CopyToDevice(ptr, bytes);
        return ptr;
    }

    private T[] Download<T>(DevicePtr ptr, int count) where T : unmanaged
    {
        var values = new T[count];
        _runtime.CopyToHost(MemoryMarshal.AsBytes(values.AsSpan()), ptr);
        return values;
    }

    private static float[] Random(int seed, int count)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Test]
    public void The_device_is_described()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_runtime.ComputeCapability, Is.GreaterThanOrEqualTo(75));
            Assert.That(_runtime.MultiprocessorCount, Is.Positive);
            Assert.That(_runtime.MaxSharedMemoryPerBlock, Is.GreaterThanOrEqualTo(48 << 10));
            Assert.That(_runtime.Info.TotalMemoryBytes, Is.Positive);
            Assert.That(_runtime.Description, Does.Contain(_runtime.Info.Name).And.Contain($"sm_{_runtime.ComputeCapability}"));
        });
        TestContext.Out.WriteLine(_runtime.Info);
    }

    [TestCase(1)]
    [TestCase(4099)]
    [TestCase(1 << 20)]
    public void Bytes_round_trip_through_copies_and_memsets(int count)
    {
        var data = Enumerable.Range(0, count).Select(i => (byte)(i * 7 + 3)).ToArray();
        var a = Upload(data);
        var b = _runtime.Allocate(count);
        _runtime.CopyDeviceToDevice(b, a, count);
        _runtime.Memset(a, 0x5A, count);
        _runtime.Memset(b.Offset(count / 2), 0xC3, count - count / 2);
        var expected = data.Take(count / 2).Concat(Enumerable.Repeat((byte)0xC3, count - count / 2)).ToArray();
        Assert.That(Download<byte>(b, count), Is.EqualTo(expected));
        Assert.That(Download<byte>(a, count), Is.All.EqualTo((byte)0x5A));
        _runtime.Free(a);
        _runtime.Free(b);
    }

    [Test]
    public void A_kernel_file_compiles_and_is_cached_on_disk()
    {
        using (var module = _runtime.LoadModule(new KernelSource("gpu_test_axpy", Kernels)))
            Assert.That(module.Function("axpy").Handle, Is.Not.Zero);
        var cached = Directory.GetFiles(_runtime.KernelCacheDirectory, "gpu_test_axpy-*");
        Assert.That(cached, Has.Length.EqualTo(1));
        Assert.That(cached[0], Does.EndWith(_runtime.Target.ImageKind == KernelImageKind.Cubin ? ".cubin" : ".ptx"));
        var written = File.GetLastWriteTimeUtc(cached[0]);

        using var again = _runtime.LoadModule(new KernelSource("gpu_test_axpy", Kernels));
        Assert.That(again.Function("reverse_in_shared").Handle, Is.Not.Zero);
        Assert.That(File.GetLastWriteTimeUtc(cached[0]), Is.EqualTo(written), "loaded from the cache, not recompiled");

        File.WriteAllBytes(cached[0], [1, 2, 3]);
        using var repaired = _runtime.LoadModule(new KernelSource("gpu_test_axpy", Kernels));
        Assert.That(repaired.Function("axpy").Handle, Is.Not.Zero, "a corrupt entry is recompiled");
    }

    [Test]
    public void A_compile_error_carries_the_file_and_the_nvrtc_log()
    {
        var error = Assert.Throws<KernelCompileException>(() =>
            _runtime.LoadModule(new KernelSource("gpu_test_broken", "extern \"C\" __global__ void k() { undeclared = 1; }")))!;
        Assert.That(error.Kernel, Is.EqualTo("gpu_test_broken"));
        Assert.That(error.Message, Does.Contain("NVRTC").And.Contain("--gpu-architecture="));
        Assert.That(error.Log, Does.Contain("gpu_test_broken.cu").And.Contain("undeclared"));
    }

    [Test]
    public void A_missing_kernel_is_named_with_its_module()
    {
        using var module = _runtime.LoadModule(new KernelSource("gpu_test_axpy", Kernels));
        var error = Assert.Throws<CudaException>(() => module.Function("no_such_kernel"))!;
        Assert.That(error.Message, Does.StartWith("cuModuleGetFunction failed: CUDA_ERROR_NOT_FOUND").And.Contain("'no_such_kernel' in module 'gpu_test_axpy'"));
    }

    [TestCase(false, false, DType.F32)]
    [TestCase(false, true, DType.F32)]
    [TestCase(true, false, DType.F32)]
    [TestCase(true, true, DType.F32)]
    [TestCase(false, true, DType.BF16)]
    [TestCase(true, false, DType.BF16)]
    public void Cublas_gemm_matches_a_row_major_cpu_product(bool transA, bool transB, DType inputs)
    {
        const int m = 37, n = 53, k = 71;
        var (aRows, aCols) = transA ? (k, m) : (m, k);
        var (bRows, bCols) = transB ? (n, k) : (k, n);
        var a = Random(4, aRows * aCols);
        var b = Random(5, bRows * bCols);
        if (inputs == DType.BF16)
        {
            a = a.Select(v => BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(v))).ToArray();
            b = b.Select(v => BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(v))).ToArray();
        }
        var c = Random(6, m * n);
        var expected = new float[m * n];
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                var sum = 0.0;
                for (var p = 0; p < k; p++)
                    sum += (transA ? a[p * aCols + i] : a[i * aCols + p]) * (double)(transB ? b[j * bCols + p] : b[p * bCols + j]);
                expected[i * n + j] = (float)(2 * sum - c[i * n + j]);
            }

        DevicePtr da, db;
        if (inputs == DType.BF16)
        {
            da = Upload(a.Select(BFloat16Bits.FromSingle).ToArray());
            db = Upload(b.Select(BFloat16Bits.FromSingle).ToArray());
        }
        else
        {
            da = Upload(a);
            db = Upload(b);
        }
        var dc = Upload(c);
        _runtime.Gemm.Gemm(transA, transB, m, n, k, 2f, da, inputs, aCols, db, inputs, bCols, -1f, dc, DType.F32, n);
        Assert.That(Download<float>(dc, m * n), Is.EqualTo(expected).Within(1e-3f));
        foreach (var p in new[] { da, db, dc }) _runtime.Free(p);
    }

    [Test]
    public void A_captured_graph_replays_its_work_and_timing_is_measured()
    {
        const int n = 4096;
        var first = Random(7, n);
        var src = Upload(first);
        var dst = _runtime.Allocate(n * sizeof(float));
        _runtime.Memset(dst, 0, n * sizeof(float));
        using var graph = _runtime.Capture(() => _runtime.CopyDeviceToDevice(dst, src, n * sizeof(float)));
        Assert.That(Download<float>(dst, n), Is.All.EqualTo(0f), "capturing runs nothing");

        var milliseconds = _runtime.ElapsedMilliseconds(graph.Launch);
        Assert.That(milliseconds, Is.GreaterThan(0f));
        Assert.That(Download<float>(dst, n), Is.EqualTo(first));

        var second = Random(8, n);
        _runtime.CopyToDevice(src, MemoryMarshal.AsBytes(second.AsSpan()));
        graph.Launch();
        Assert.That(Download<float>(dst, n), Is.EqualTo(second), "a replay reads the buffers afresh");
        Assert.That(_runtime.PeakAllocatedBytes() ?? 1, Is.Positive);
        _runtime.Free(src);
        _runtime.Free(dst);
    }
}

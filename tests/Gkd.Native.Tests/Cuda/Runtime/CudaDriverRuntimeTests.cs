using System.Diagnostics;
using Gkd.Native.Cuda.Interop;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Tests.Cuda.Runtime;

public class CudaDriverRuntimeTests
{
    [Test]
    public void Without_a_driver_create_fails_within_a_second_listing_what_was_tried()
    {
        var clock = Stopwatch.StartNew();
        CudaUnavailableException error;
        try
        {
            using var runtime = CudaDriverRuntime.Create();
            Assert.Ignore($"this machine has a working GPU: {runtime.Info}");
            return;
        }
        catch (CudaUnavailableException e)
        {
            error = e;
        }
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
        if (LibraryResolver.Shared.IsLoaded(CudaLibrary.Driver))
            Assert.Ignore($"a driver loads here but CUDA is unavailable for another reason: {error.Message}");
        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.StartWith("the CUDA driver (libcuda.so.1) could not be loaded"));
            Assert.That(error.Message, Does.Contain("libcuda.so.1, libcuda.so"));
            Assert.That(error.Message, Does.Contain("/usr/local/cuda/lib64 (CUDA toolkit)"));
            Assert.That(error.Message, Does.Contain($"/usr/lib/{SearchEnvironment.MultiarchTriplet} (system)"));
            Assert.That(error.Message, Does.Contain("\n  libcuda.so.1: "), "the system loader's own answer");
            Assert.That(error.Message, Does.Contain("Install the NVIDIA driver").And.Contain("LD_LIBRARY_PATH"));
        });

        clock.Restart();
        Assert.Throws<CudaUnavailableException>(() => CudaDriverRuntime.Create());
        Assert.That(clock.ElapsedMilliseconds, Is.LessThan(100), "the failure is cached");
    }

    [Test]
    public void The_device_is_gkd_cuda_device_or_zero_and_must_exist()
    {
        Assert.Multiple(() =>
        {
            Assert.That(CudaDriverRuntime.SelectDevice(null, 2), Is.Zero);
            Assert.That(CudaDriverRuntime.SelectDevice(" ", 2), Is.Zero);
            Assert.That(CudaDriverRuntime.SelectDevice("1", 2), Is.EqualTo(1));
            Assert.That(() => CudaDriverRuntime.SelectDevice("2", 2),
                Throws.InstanceOf<CudaUnavailableException>().With.Message.Contains("GKD_CUDA_DEVICE=2").And.Message.Contains("0 to 1"));
            Assert.That(() => CudaDriverRuntime.SelectDevice("gpu0", 2), Throws.InstanceOf<CudaUnavailableException>());
            Assert.That(() => CudaDriverRuntime.SelectDevice(null, 0),
                Throws.InstanceOf<CudaUnavailableException>().With.Message.Contains("no GPU"));
        });
    }

    [Test]
    public void Driver_versions_decode_as_major_minor()
    {
        Assert.That(DeviceInfo.DriverApiVersion(13000), Is.EqualTo(new Version(13, 0)));
        Assert.That(DeviceInfo.DriverApiVersion(12040), Is.EqualTo(new Version(12, 4)));
        Assert.That(DeviceInfo.DriverApiVersion(12080), Is.EqualTo(new Version(12, 8)));
    }
}

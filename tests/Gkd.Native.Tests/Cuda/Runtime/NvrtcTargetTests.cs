using Gkd.Native.Cuda.Interop;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Tests.Cuda.Runtime;

public class NvrtcTargetTests
{
    private static readonly int[] Nvrtc13 = [75, 80, 86, 87, 88, 89, 90, 100, 103, 110, 120, 121];
    private static readonly int[] Nvrtc12 = [50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90];

    [TestCase(90, "sm_90a", Description = "Hopper: arch-specific, for wgmma/TMA behind __CUDA_ARCH_FEAT_SM90_ALL")]
    [TestCase(80, "sm_80")]
    [TestCase(89, "sm_89")]
    [TestCase(120, "sm_120")]
    public void A_device_the_nvrtc_knows_gets_cubin_for_its_own_architecture(int cc, string expected)
    {
        var target = NvrtcTarget.Choose(cc, Nvrtc13, new Version(13, 0));
        Assert.That(target.Architecture, Is.EqualTo(expected));
        Assert.That(target.ImageKind, Is.EqualTo(KernelImageKind.Cubin));
    }

    [Test]
    public void An_nvrtc_older_than_the_device_emits_ptx_of_the_newest_architecture_below_it()
    {
        var blackwellOnOld = NvrtcTarget.Choose(100, Nvrtc12, new Version(12, 4));
        Assert.That(blackwellOnOld.Architecture, Is.EqualTo("compute_90"));
        Assert.That(blackwellOnOld.ImageKind, Is.EqualTo(KernelImageKind.Ptx));
        Assert.That(NvrtcTarget.Choose(88, [80, 86, 87, 90], new Version(12, 0)).Architecture, Is.EqualTo("compute_87"),
            "a gap in the list: the newest architecture not above the device");
    }

    [Test]
    public void Sm90a_needs_nvrtc_12()
    {
        Assert.That(NvrtcTarget.Choose(90, [70, 75, 80, 86, 89, 90], new Version(11, 8)).Architecture, Is.EqualTo("sm_90"));
    }

    [Test]
    public void A_device_older_than_every_supported_architecture_is_unavailable()
    {
        var error = Assert.Throws<CudaUnavailableException>(() => NvrtcTarget.Choose(61, Nvrtc13, new Version(13, 0)))!;
        Assert.That(error.Message, Does.Contain("NVRTC 13.0").And.Contain("sm_75").And.Contain("sm_61"));
    }

    [Test]
    public void Options_are_the_architecture_and_the_fixed_flags()
    {
        Assert.That(new NvrtcTarget("sm_90a").Options(), Is.EqualTo(new[]
        {
            "--gpu-architecture=sm_90a", "-default-device", "-std=c++17", "-lineinfo", "-DGKD_CUDA=1",
        }));
        Assert.That(new NvrtcTarget("compute_90").Options()[0], Is.EqualTo("--gpu-architecture=compute_90"));
    }
}

using Gkd.Native.Cuda.Runtime;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Emulation;

/// <summary>tests/…/Cuda/Emulation/emulation_probe.cu, composed like a library kernel.</summary>
public static class ProbeKernels
{
    public static string Path { get; } =
        System.IO.Path.Combine(TestPaths.RepoRoot, "tests", "Gkd.Native.Tests", "Cuda", "Emulation", "emulation_probe.cu");

    public static KernelSource Source => KernelLibrary.Compose("emulation_probe", File.ReadAllText(Path));
}

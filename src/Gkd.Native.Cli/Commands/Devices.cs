using Gkd.Native.Cli.Options;
using Gkd.Native.Core.Backends;
using Gkd.Native.Cpu;
using Gkd.Native.Cuda;
using Gkd.Native.Cuda.Runtime;

namespace Gkd.Native.Cli.Commands;

/// <summary>The --device and --threads flags: which backend a verb runs on.</summary>
internal static class Devices
{
    public static readonly IReadOnlyList<string> Choices = ["cpu", "cuda"];

    public static OptionSet AddOptions(OptionSet options) => options
        .Enum("device", "cpu", Choices, "Backend: cpu, or cuda (fails at once, naming what it tried, without a usable GPU).")
        .Int("threads", 0, "CPU worker threads (0 = all cores).");

    /// <summary>The backend; for cuda the driver, NVRTC and cuBLAS must load, else CudaUnavailableException lists what was tried.</summary>
    public static IBackend Create(ParsedOptions o) => o.Get<string>("device") switch
    {
        "cuda" => new CudaBackend(CudaDriverRuntime.Create()),
        _ => new CpuBackend(o.Get<int>("threads")),
    };
}

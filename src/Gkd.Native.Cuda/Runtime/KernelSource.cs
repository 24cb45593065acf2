using System.Security.Cryptography;
using System.Text;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// One kernels/*.cu file as compiled: its name (e.g. "rmsnorm") and full text with kernels/common.cuh already
/// inlined in place of its #include, so the same text goes to NVRTC, to clang's PTX check and to the emulation build.
/// <see cref="Hash"/> keys the compiled-kernel caches.
/// </summary>
public sealed record KernelSource(string Name, string Text)
{
    public string Hash { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Text)));
}

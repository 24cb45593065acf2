using System.Runtime.InteropServices;

namespace Gkd.Native.Cuda.Interop;

/// <summary>
/// What library discovery reads: environment variables, the home directory, and the root under which the fixed
/// system directories (/usr/local/cuda/lib64, /usr/lib/x86_64-linux-gnu, …) are looked up. Paths taken from
/// variables are used as given. Tests point <see cref="Root"/> and <see cref="Home"/> at a temporary tree.
/// </summary>
public sealed record SearchEnvironment(Func<string, string?> Variable, string Home, string Root)
{
    /// <summary>This process's environment and the real file system.</summary>
    public static SearchEnvironment Current { get; } = new(
        Environment.GetEnvironmentVariable,
        Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home
            ? home
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
        "/");

    /// <summary>A fixed system path such as "/usr/local/cuda/lib64", placed under <see cref="Root"/>.</summary>
    public string System(string absolute) => Path.Join(Root, absolute.TrimStart('/'));

    /// <summary>The multiarch directory of this process's architecture ("x86_64-linux-gnu", "aarch64-linux-gnu").</summary>
    public static string MultiarchTriplet => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.Arm64 => "aarch64-linux-gnu",
        _ => "x86_64-linux-gnu",
    };
}

using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// Builds kernel files into shared libraries for the CPU emulation, with a disk cache.
/// <para>
/// The emulation runtime (kernels/emulation/gkd_emulation.cpp, embedded) is compiled once into an object file; each
/// kernel file's composed text, followed by one <c>GKD_EMU_TRAMPOLINE(name)</c> per <c>extern "C" __global__</c>
/// function, is compiled with <c>-DGKD_EMULATION -include gkd_emulation.h</c> and linked with that object into
/// <c>{kernel}-{key}.so</c>. The key hashes the kernel text, both emulation sources, the compiler's version line and
/// the flags, so any change rebuilds and nothing stale is reused. Files land via rename, so concurrent processes
/// sharing a cache never see half-written ones.
/// </para>
/// <para>
/// The cache directory is, in order: the one given, $GKD_KERNEL_CACHE/emulation, ~/.cache/gkd/emulation. The
/// compiler is $GKD_EMULATION_CXX, else g++.
/// </para>
/// </summary>
public sealed partial class EmulationBuild
{
    private const string HeaderName = "gkd_emulation.h";
    private const string RuntimeName = "gkd_emulation.cpp";

    private static readonly Lock BuildLock = new();

    private readonly string[] _flags;
    private readonly Lazy<string> _compilerVersion;
    private readonly Lazy<string> _runtimeKey;

    public EmulationBuild(string? cacheDirectory = null)
    {
        CacheDirectory = Path.GetFullPath(cacheDirectory ?? DefaultCacheDirectory());
        Compiler = Environment.GetEnvironmentVariable("GKD_EMULATION_CXX") is { Length: > 0 } cxx ? cxx : "g++";
        _flags =
        [
            "-O2", "-std=c++17", "-fPIC", "-fvisibility=hidden", "-fno-math-errno", "-ffp-contract=off",
            "-fcf-protection=none", "-pthread", "-DGKD_EMULATION",
            // TLS descriptors make the per-thread state (threadIdx, __shared__) cheap in a dlopen'ed library.
            .. RuntimeInformation.ProcessArchitecture == Architecture.X64 ? ["-mtls-dialect=gnu2"] : Array.Empty<string>(),
        ];
        _compilerVersion = new(() => FirstLine(Run(Compiler, ["--version"], "the compiler's version").Output));
        _runtimeKey = new(() => Hash(CompilerVersion, string.Join(' ', _flags), Header, RuntimeSource)[..16]);
    }

    public string CacheDirectory { get; }

    public string Compiler { get; }

    /// <summary>The compiler's --version line, e.g. "g++ (Debian 12.2.0-14+deb12u1) 12.2.0".</summary>
    public string CompilerVersion => _compilerVersion.Value;

    public static string DefaultCacheDirectory() =>
        Environment.GetEnvironmentVariable("GKD_KERNEL_CACHE") is { Length: > 0 } root
            ? Path.Combine(root, "emulation")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "gkd", "emulation");

    /// <summary>The kernel functions a kernel text defines: every <c>extern "C" __global__</c> function, in order.</summary>
    public static IReadOnlyList<string> KernelNames(string text) =>
        KernelDeclaration().Matches(Comment().Replace(text, " ")).Select(m => m.Groups[1].Value).ToArray();

    /// <summary>The path of the emulation library for <paramref name="source"/>, compiling it on a cache miss.</summary>
    public string LibraryFor(KernelSource source)
    {
        var library = Path.Combine(CacheDirectory, $"{source.Name}-{Hash(_runtimeKey.Value, source.Text)[..16]}.so");
        if (File.Exists(library)) return library;
        lock (BuildLock)
        {
            if (File.Exists(library)) return library;
            var runtime = RuntimeObject();
            var kernels = KernelNames(source.Text);
            if (kernels.Count == 0)
                throw new KernelCompileException(source.Name, Compiler, "no extern \"C\" __global__ function found");
            var text = new StringBuilder(source.Text).Append("\n#line 1 \"<emulation trampolines>\"\n");
            foreach (var kernel in kernels) text.Append("GKD_EMU_TRAMPOLINE(").Append(kernel).Append(")\n");
            var generated = library[..^".so".Length] + ".cpp";
            WriteAtomically(generated, text.ToString());
            Compile(source.Name, library,
                ["-shared", "-include", Path.Combine(RuntimeDirectory(), HeaderName), "-x", "c++", generated, "-x", "none", runtime]);
            return library;
        }
    }

    private static string Header => EmbeddedSource(HeaderName);

    private static string RuntimeSource => EmbeddedSource(RuntimeName);

    private string RuntimeDirectory() => Path.Combine(CacheDirectory, $"runtime-{_runtimeKey.Value}");

    // The runtime's object file and the sources beside it (the header is also what kernel builds force-include).
    private string RuntimeObject()
    {
        var directory = RuntimeDirectory();
        var obj = Path.Combine(directory, "gkd_emulation.o");
        if (File.Exists(obj)) return obj;
        Directory.CreateDirectory(directory);
        WriteAtomically(Path.Combine(directory, HeaderName), Header);
        var cpp = Path.Combine(directory, RuntimeName);
        WriteAtomically(cpp, RuntimeSource);
        Compile("emulation runtime", obj, ["-c", cpp]);
        return obj;
    }

    private void Compile(string kernel, string output, IEnumerable<string> inputs)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var temporary = $"{output}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            var (exitCode, log) = Run(Compiler, [.. _flags, .. inputs, "-o", temporary], $"kernel '{kernel}'");
            if (exitCode != 0) throw new KernelCompileException(kernel, CompilerVersion, log);
            File.Move(temporary, output, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static (int ExitCode, string Output) Run(string program, IEnumerable<string> arguments, string what)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)
                ?? throw new InvalidOperationException($"could not start {program} for {what}");
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, (stdout + stderr.Result).Trim());
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"the CUDA emulation compiles kernels with a C++ compiler, and '{program}' could not be run ({e.Message}); " +
                "install g++ or set GKD_EMULATION_CXX", e);
        }
    }

    private static void WriteAtomically(string path, string text)
    {
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    private static string EmbeddedSource(string file) =>
        KernelLibrary.ReadResource($"kernels/emulation/{file}")
            ?? throw new InvalidOperationException($"kernels/emulation/{file} is not embedded in Gkd.Native.Cuda");

    private static string Hash(params string[] parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(part));
            sha.AppendData([0]);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    [GeneratedRegex("""extern\s+"C"\s+__global__\s+(?:__launch_bounds__\s*\([^)]*\)\s*)?void\s+(?:__launch_bounds__\s*\([^)]*\)\s*)?([A-Za-z_]\w*)\s*\(""")]
    private static partial Regex KernelDeclaration();

    [GeneratedRegex(@"/\*.*?\*/|//[^\n]*", RegexOptions.Singleline)]
    private static partial Regex Comment();
}

using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Gkd.Native.Cuda.Interop;

/// <summary>
/// Loads the CUDA libraries from the candidates <see cref="LibrarySearch"/> lists, first success wins, and answers
/// the <c>LibraryImport</c> declarations of this assembly with those handles (one resolver for the assembly,
/// registered by the binding classes' static constructors). Each library is looked for once per process: the
/// handle, or the failure, is cached, so a machine without CUDA fails fast every time.
/// </summary>
public sealed class LibraryResolver
{
    private static readonly Lock RegisterGate = new();
    private static bool _registered;

    private readonly SearchEnvironment _environment;
    private readonly Lock _gate = new();
    private readonly Dictionary<CudaLibrary, Outcome> _outcomes = [];
    private IReadOnlyList<SearchDirectory>? _directories;

    public LibraryResolver(SearchEnvironment environment) => _environment = environment;

    /// <summary>The process-wide resolver over the real environment, the one the bindings use.</summary>
    public static LibraryResolver Shared { get; } = new(SearchEnvironment.Current);

    /// <summary>The directories searched, in order (computed once).</summary>
    public IReadOnlyList<SearchDirectory> Directories
    {
        get
        {
            lock (_gate) return _directories ??= LibrarySearch.Directories(_environment);
        }
    }

    /// <summary>The library's handle; throws <see cref="CudaUnavailableException"/> listing everything tried.</summary>
    public nint Load(CudaLibrary library)
    {
        lock (_gate)
        {
            if (!_outcomes.TryGetValue(library, out var outcome))
                _outcomes[library] = outcome = Search(library);
            return outcome.Handle != 0 ? outcome.Handle : throw new CudaUnavailableException(outcome.Failure!);
        }
    }

    public bool IsLoaded(CudaLibrary library)
    {
        lock (_gate) return _outcomes.TryGetValue(library, out var outcome) && outcome.Handle != 0;
    }

    /// <summary>The file or bare name the library was loaded from, or null when it is not loaded.</summary>
    public string? LoadedFrom(CudaLibrary library)
    {
        lock (_gate) return _outcomes.TryGetValue(library, out var outcome) ? outcome.Source : null;
    }

    /// <summary>
    /// Installs <see cref="Shared"/> as this assembly's native library resolver; idempotent. A binding called when its
    /// library cannot be loaded throws the resolver's <see cref="CudaUnavailableException"/>.
    /// </summary>
    public static void Register()
    {
        lock (RegisterGate)
        {
            if (_registered) return;
            NativeLibrary.SetDllImportResolver(typeof(LibraryResolver).Assembly, Resolve);
            _registered = true;
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        return CudaLibraryInfo.TryParseImportName(name, out var library) ? Shared.Load(library) : 0;
    }

    private Outcome Search(CudaLibrary library)
    {
        var directories = Directories;
        var failures = new List<string>();
        foreach (var candidate in LibrarySearch.Candidates(library, directories))
        {
            if (Path.IsPathRooted(candidate))
                foreach (var companion in LibrarySearch.Companions(library, candidate))
                    NativeLibrary.TryLoad(companion, out _);
            try
            {
                return new Outcome(NativeLibrary.Load(candidate), candidate, null);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                var reason = LoaderReason(e.Message);
                failures.Add($"{candidate}: {(reason.StartsWith(candidate + ": ", StringComparison.Ordinal) ? reason[(candidate.Length + 2)..] : reason)}");
            }
        }
        return new Outcome(0, null, Explain(library, directories, failures));
    }

    private static string Explain(CudaLibrary library, IReadOnlyList<SearchDirectory> directories, List<string> failures)
    {
        var names = library.FileNames();
        var text = new StringBuilder()
            .Append($"{library.DisplayName()} ({names[0]}) could not be loaded, so the CUDA backend cannot run here.\n")
            .Append($"Looked for {string.Join(", ", names)} in:\n");
        foreach (var directory in directories)
            text.Append($"  {directory}{(Directory.Exists(directory.Path) ? "" : " — absent")}\n");
        text.Append("and tried to load:\n");
        foreach (var failure in failures) text.Append($"  {failure}\n");
        return text.Append(library.InstallHint()).ToString();
    }

    /// <summary>
    /// The dynamic loader's own words from a .NET load failure: .NET prefixes them with a paragraph of general
    /// advice ending in a colon and a line break, which is dropped.
    /// </summary>
    public static string LoaderReason(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 1 && lines[0].EndsWith(':') ? string.Join("; ", lines[1..]) : string.Join(' ', lines);
    }

    private sealed record Outcome(nint Handle, string? Source, string? Failure);
}

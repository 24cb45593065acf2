namespace Gkd.Native.Cuda.Interop;

/// <summary>
/// Where the CUDA libraries may be, in order — pure discovery, no loading. Directories: $CUDA_PATH/lib64,
/// $CUDA_HOME/lib64, /usr/local/cuda/lib64, /usr/local/cuda-*/lib64 (newest first), each $LD_LIBRARY_PATH entry,
/// pip's site-packages/nvidia/*/lib (CUDA 12 wheels: nvidia/cublas/lib, …; CUDA 13 wheels: nvidia/cu13/lib) under
/// $VIRTUAL_ENV, $CONDA_PREFIX, ~/.local and the system Python prefixes, $CONDA_PREFIX/lib, then the system library
/// directories. Within a directory the newest major version wins (libnvrtc.so.13 before libnvrtc.so.12); after
/// the directories come the bare file names for the system loader (ld.so.cache, its default paths).
/// </summary>
public static class LibrarySearch
{
    public static IReadOnlyList<SearchDirectory> Directories(SearchEnvironment env)
    {
        var found = new List<SearchDirectory>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        void Add(string path, string origin)
        {
            if (path.Length == 0 || !Path.IsPathRooted(path)) return;
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            if (seen.Add(full)) found.Add(new SearchDirectory(full, origin));
        }

        foreach (var variable in (string[])["CUDA_PATH", "CUDA_HOME"])
            if (env.Variable(variable) is { Length: > 0 } root) Add(Path.Join(root, "lib64"), $"${variable}/lib64");

        Add(env.System("/usr/local/cuda/lib64"), "CUDA toolkit");
        foreach (var toolkit in NewestFirst(Subdirectories(env.System("/usr/local")), "cuda-"))
            Add(Path.Join(toolkit, "lib64"), "CUDA toolkit");

        if (env.Variable("LD_LIBRARY_PATH") is { Length: > 0 } ldPath)
            foreach (var entry in ldPath.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                Add(entry, "$LD_LIBRARY_PATH");

        foreach (var sitePackages in SitePackages(env))
            foreach (var package in Subdirectories(Path.Join(sitePackages, "nvidia")).Order(StringComparer.Ordinal))
            {
                var lib = Path.Join(package, "lib");
                if (Directory.Exists(lib)) Add(lib, "pip");
            }

        if (env.Variable("CONDA_PREFIX") is { Length: > 0 } conda) Add(Path.Join(conda, "lib"), "$CONDA_PREFIX/lib");

        Add(env.System($"/usr/lib/{SearchEnvironment.MultiarchTriplet}"), "system");
        Add(env.System("/usr/lib64"), "system");
        Add(env.System("/usr/lib/wsl/lib"), "WSL");
        return found;
    }

    /// <summary>
    /// Every existing file for <paramref name="library"/> in <paramref name="directories"/> (full paths, in search
    /// order), then its bare file names for the system loader. The driver is never taken from a toolkit's stubs/
    /// directory: that libcuda.so only links, it cannot run anything.
    /// </summary>
    public static IReadOnlyList<string> Candidates(CudaLibrary library, IReadOnlyList<SearchDirectory> directories)
    {
        var names = library.FileNames();
        var candidates = new List<string>();
        foreach (var directory in directories)
        {
            if (library == CudaLibrary.Driver && Path.GetFileName(directory.Path) == "stubs") continue;
            foreach (var name in names)
            {
                var path = Path.Join(directory.Path, name);
                if (File.Exists(path)) candidates.Add(path);
            }
        }
        candidates.AddRange(names);
        return candidates;
    }

    /// <summary>
    /// Files in <paramref name="path"/>'s directory to load before it (see <see cref="CudaLibraryInfo.CompanionPrefixes"/>),
    /// matched to its major version: libcublasLt.so.13 beside libcublas.so.13, libnvrtc-builtins.so.13.0 beside
    /// libnvrtc.so.13. Empty for a bare name.
    /// </summary>
    public static IReadOnlyList<string> Companions(CudaLibrary library, string path)
    {
        var directory = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(directory) || !Directory.Exists(directory)) return [];
        var name = Path.GetFileName(path);
        var marker = name.IndexOf(".so.", StringComparison.Ordinal);
        var major = marker < 0 ? "" : name[(marker + 4)..].Split('.')[0];
        var companions = new List<string>();
        foreach (var prefix in library.CompanionPrefixes())
        {
            if (major.Length == 0)
            {
                var unversioned = Path.Join(directory, prefix.TrimEnd('.'));
                if (File.Exists(unversioned)) companions.Add(unversioned);
                continue;
            }
            var stem = prefix + major;
            companions.AddRange(Files(directory)
                .Where(f => Path.GetFileName(f) is var n && (n == stem || n.StartsWith(stem + ".", StringComparison.Ordinal)))
                .Order(StringComparer.Ordinal));
        }
        return companions;
    }

    /// <summary>Site-packages directories, the active environment's first, the system's last.</summary>
    private static IEnumerable<string> SitePackages(SearchEnvironment env)
    {
        foreach (var variable in (string[])["VIRTUAL_ENV", "CONDA_PREFIX"])
            if (env.Variable(variable) is { Length: > 0 } prefix)
                foreach (var python in Pythons(Path.Join(prefix, "lib")))
                    yield return Path.Join(python, "site-packages");

        foreach (var python in Pythons(Path.Join(env.Home, ".local", "lib")))
            yield return Path.Join(python, "site-packages");

        foreach (var python in Pythons(env.System("/usr/local/lib")))
        {
            yield return Path.Join(python, "dist-packages");
            yield return Path.Join(python, "site-packages");
        }
        yield return env.System("/usr/lib/python3/dist-packages");
        foreach (var python in Pythons(env.System("/usr/lib")))
            yield return Path.Join(python, "site-packages");
    }

    private static IEnumerable<string> Pythons(string libDirectory) =>
        NewestFirst(Subdirectories(libDirectory), "python3");

    /// <summary>Directories named prefix + version ("cuda-12.4", "python3.12"), highest version first.</summary>
    private static IEnumerable<string> NewestFirst(IEnumerable<string> directories, string prefix) => directories
        .Select(d => (Path: d, Name: Path.GetFileName(d)))
        .Where(d => d.Name.StartsWith(prefix, StringComparison.Ordinal))
        .OrderByDescending(d => ParseVersion(prefix == "python3" ? d.Name["python".Length..] : d.Name[prefix.Length..]))
        .ThenBy(d => d.Name, StringComparer.Ordinal)
        .Select(d => d.Path);

    private static Version ParseVersion(string text)
    {
        if (Version.TryParse(text, out var version)) return version;
        return int.TryParse(text, out var major) && major >= 0 ? new Version(major, 0) : new Version(0, 0);
    }

    private static string[] Files(string directory)
    {
        try
        {
            return Directory.GetFiles(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static IEnumerable<string> Subdirectories(string directory)
    {
        try
        {
            return Directory.Exists(directory) ? Directory.GetDirectories(directory) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}

namespace Gkd.Native.Tests.Support;

/// <summary>Where tests find the repository, its committed golden files, and the shared data beside it.</summary>
public static class TestPaths
{
    /// <summary>The repository root: the nearest ancestor of the test binary holding Gkd.Native.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// The shared data folder: $GKD_SHARED_DIR when set, else ../shared beside the repository. Its files may not be
    /// copied into the repository, so tests read them in place.
    /// </summary>
    public static string SharedDir =>
        Environment.GetEnvironmentVariable("GKD_SHARED_DIR") is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string SharedData(params string[] parts) => Path.Combine([SharedDir, "data", .. parts]);

    /// <summary>Committed golden files written by tests/Reference/make_golden.py.</summary>
    public static string Golden(params string[] parts) =>
        Path.Combine([RepoRoot, "tests", "Reference", "golden", .. parts]);

    /// <summary>A fresh empty directory under the test run's temp root.</summary>
    public static string TempDir(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "gkd-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Gkd.Native.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Gkd.Native.sln above {AppContext.BaseDirectory}");
    }
}

using Gkd.Native.Cuda.Interop;
using Gkd.Native.Tests.Support;

namespace Gkd.Native.Tests.Cuda.Interop;

/// <summary>
/// A temporary directory standing in for "/" (and a home directory inside it), where tests create the files library
/// discovery should find; <see cref="Environment"/> reads only the given variables.
/// </summary>
internal sealed class FakeCudaTree
{
    public FakeCudaTree(params (string Name, string Value)[] variables)
    {
        Root = TestPaths.TempDir("cuda-tree");
        Home = Path.Join(Root, "home", "user");
        Directory.CreateDirectory(Home);
        var map = variables.ToDictionary(v => v.Name, v => v.Value.Replace("$ROOT", Root, StringComparison.Ordinal));
        Environment = new SearchEnvironment(name => map.GetValueOrDefault(name), Home, Root);
    }

    public string Root { get; }

    public string Home { get; }

    public SearchEnvironment Environment { get; }

    /// <summary>The real path of a path written as if absolute ("/usr/local/cuda/lib64").</summary>
    public string At(string path) => Path.Join(Root, path.TrimStart('/'));

    /// <summary>Creates a (non-loadable) file at <paramref name="path"/> and returns its real path.</summary>
    public string File(string path)
    {
        var real = At(path);
        Directory.CreateDirectory(Path.GetDirectoryName(real)!);
        System.IO.File.WriteAllText(real, "not a shared object");
        return real;
    }

    public string Dir(string path)
    {
        var real = At(path);
        Directory.CreateDirectory(real);
        return real;
    }
}

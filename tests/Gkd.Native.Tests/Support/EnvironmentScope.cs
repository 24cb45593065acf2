namespace Gkd.Native.Tests.Support;

/// <summary>
/// Sets process environment variables for one test and restores their previous values on Dispose. The environment is
/// shared by the whole process, so fixtures using this must be [NonParallelizable].
/// </summary>
public sealed class EnvironmentScope : IDisposable
{
    private readonly Dictionary<string, string?> _saved = [];

    /// <summary>Sets (or, with null, removes) a variable.</summary>
    public EnvironmentScope Set(string name, string? value)
    {
        _saved.TryAdd(name, Environment.GetEnvironmentVariable(name));
        Environment.SetEnvironmentVariable(name, value);
        return this;
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved) Environment.SetEnvironmentVariable(name, value);
    }
}

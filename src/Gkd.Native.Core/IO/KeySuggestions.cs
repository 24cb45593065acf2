namespace Gkd.Native.Core.IO;

/// <summary>Builds the "no such tensor" message: the few present keys that share the longest prefix with the one asked for.</summary>
internal static class KeySuggestions
{
    public static string Describe(IReadOnlyCollection<string> keys, string key, int count = 5)
    {
        if (keys.Count == 0) return "it holds no tensors";
        var nearest = keys
            .OrderByDescending(k => CommonPrefix(k, key))
            .ThenBy(k => k, StringComparer.Ordinal)
            .Take(count)
            .Select(k => $"'{k}'");
        return $"it holds {keys.Count} tensors, e.g. {string.Join(", ", nearest)}";
    }

    private static int CommonPrefix(string a, string b) => a.AsSpan().CommonPrefixLength(b);
}

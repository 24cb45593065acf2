namespace Gkd.Native.Cli.Options;

/// <summary>
/// Finds the known name a mistyped one most likely meant: the same name with <c>-</c> for <c>_</c> or other letter
/// case, else the nearest by optimal-string-alignment (Damerau–Levenshtein) distance within a third of its length.
/// </summary>
public static class NameSuggester
{
    public static string? Nearest(string typed, IEnumerable<string> known)
    {
        var wanted = Normalise(typed);
        var limit = wanted.Length <= 3 ? 1 : Math.Max(2, wanted.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in known)
        {
            var distance = Distance(wanted, Normalise(name));
            if (distance < bestDistance && distance <= limit)
            {
                best = name;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>Edit distance counting insertions, deletions, substitutions and swaps of adjacent letters.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    private static string Normalise(string name) => name.TrimStart('-').Replace('-', '_').ToLowerInvariant();
}

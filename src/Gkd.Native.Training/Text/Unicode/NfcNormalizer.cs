using System.Text;

namespace Gkd.Native.Training.Text.Unicode;

/// <summary>
/// Unicode normalisation form C in managed code (UAX #15: full canonical decomposition, canonical ordering, canonical
/// composition). string.Normalize cannot be used: under InvariantGlobalization (set for the whole solution) it
/// returns its input unchanged. Tables come from <see cref="NfcData"/> and are Unicode 9.0, the version Hugging Face
/// tokenizers normalises with, so that ids match theirs; Hangul is handled algorithmically.
/// </summary>
public static class NfcNormalizer
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Dictionary<int, (int First, int Second)> Decomposition = BuildDecompositions();
    private static readonly Dictionary<long, int> Composition = BuildCompositions();
    private static readonly (int First, int Last, int Class)[] ClassRuns = BuildClassRuns();

    /// <summary>The NFC form of text; text itself when every char is below U+0300 (such text is always NFC).</summary>
    public static string Normalize(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\u0300', '\uffff')) return text;
        var points = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes()) Decompose(rune.Value, points);
        SortCombiningMarks(points);
        Compose(points);
        var sb = new StringBuilder(text.Length);
        foreach (var cp in points) sb.Append(char.ConvertFromUtf32(cp));
        return sb.ToString();
    }

    /// <summary>The canonical combining class of a code point (0 for starters).</summary>
    public static int CombiningClass(int codePoint)
    {
        int lo = 0, hi = ClassRuns.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var run = ClassRuns[mid];
            if (codePoint < run.First) hi = mid - 1;
            else if (codePoint > run.Last) lo = mid + 1;
            else return run.Class;
        }
        return 0;
    }

    private static void Decompose(int cp, List<int> output)
    {
        var s = cp - SBase;
        if (s is >= 0 and < SCount)
        {
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) output.Add(TBase + s % TCount);
            return;
        }
        if (!Decomposition.TryGetValue(cp, out var parts))
        {
            output.Add(cp);
            return;
        }
        Decompose(parts.First, output);
        if (parts.Second != 0) Decompose(parts.Second, output);
    }

    /// <summary>Canonical ordering: a stable sort by combining class of every run of non-starters.</summary>
    private static void SortCombiningMarks(List<int> points)
    {
        for (var i = 1; i < points.Count; i++)
        {
            var cls = CombiningClass(points[i]);
            if (cls == 0) continue;
            for (var j = i; j > 0; j--)
            {
                var prev = CombiningClass(points[j - 1]);
                if (prev <= cls) break;
                (points[j - 1], points[j]) = (points[j], points[j - 1]);
            }
        }
    }

    private static void Compose(List<int> points)
    {
        if (points.Count == 0) return;
        var starterAt = 0;
        var lastClass = CombiningClass(points[0]) == 0 ? 0 : 256; // a leading non-starter composes with nothing
        var write = 1;
        for (var read = 1; read < points.Count; read++)
        {
            var cp = points[read];
            var cls = CombiningClass(cp);
            var blocked = lastClass != 0 && lastClass >= cls;
            if (!blocked && TryCompose(points[starterAt], cp, out var composite))
            {
                points[starterAt] = composite;
                continue;
            }
            if (cls == 0) starterAt = write;
            lastClass = cls;
            points[write++] = cp;
        }
        points.RemoveRange(write, points.Count - write);
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        var l = first - LBase;
        if (l is >= 0 and < LCount && second - VBase is >= 0 and < VCount)
        {
            composite = SBase + (l * VCount + second - VBase) * TCount;
            return true;
        }
        var s = first - SBase;
        if (s is >= 0 and < SCount && s % TCount == 0 && second - TBase is > 0 and < TCount)
        {
            composite = first + second - TBase;
            return true;
        }
        return Composition.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private static Dictionary<int, (int, int)> BuildDecompositions()
    {
        var data = NfcData.Decompositions;
        var map = new Dictionary<int, (int, int)>(data.Length / 3);
        for (var i = 0; i < data.Length; i += 3) map[data[i]] = (data[i + 1], data[i + 2]);
        return map;
    }

    private static Dictionary<long, int> BuildCompositions()
    {
        var excluded = new HashSet<int>(NfcData.CompositionExclusions.ToArray());
        var data = NfcData.Decompositions;
        var map = new Dictionary<long, int>();
        for (var i = 0; i < data.Length; i += 3)
            if (data[i + 2] != 0 && !excluded.Contains(data[i]))
                map[((long)data[i + 1] << 21) | (uint)data[i + 2]] = data[i];
        return map;
    }

    private static (int, int, int)[] BuildClassRuns()
    {
        var data = NfcData.CombiningClassRuns;
        var runs = new (int, int, int)[data.Length / 3];
        for (var i = 0; i < runs.Length; i++) runs[i] = (data[3 * i], data[3 * i + 1], data[3 * i + 2]);
        return runs;
    }
}

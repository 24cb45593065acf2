using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Gkd.Native.Cuda.Runtime;

/// <summary>
/// The kernels/*.cu files, embedded in this assembly, as <see cref="KernelSource"/>s ready for NVRTC, clang's PTX
/// check and the CPU emulation: <c>#include "common.cuh"</c> is replaced by kernels/common.cuh's text between
/// <c>#line</c> markers, so compiler messages and <c>__FILE__</c> name "common.cuh" or "cast.cu" with their own line
/// numbers. A kernel file may include nothing else.
/// </summary>
public static partial class KernelLibrary
{
    private const string ResourcePrefix = "kernels/";
    private const string CommonHeader = "common.cuh";

    private static readonly Assembly Assembly = typeof(KernelLibrary).Assembly;
    private static readonly ConcurrentDictionary<string, KernelSource> Sources = new(StringComparer.Ordinal);

    /// <summary>The kernel files' names without ".cu" ("cast", …), sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = Assembly.GetManifestResourceNames()
        .Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal) && r.EndsWith(".cu", StringComparison.Ordinal)
            && r.IndexOf('/', ResourcePrefix.Length) < 0)
        .Select(r => r[ResourcePrefix.Length..^".cu".Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>kernels/{name}.cu, composed; throws naming the known kernels when there is no such file.</summary>
    public static KernelSource Get(string name) => Sources.GetOrAdd(name, static n =>
        Compose(n, ReadResource($"{ResourcePrefix}{n}.cu")
            ?? throw new ArgumentException($"no kernel file kernels/{n}.cu; known: {string.Join(", ", Names)}", nameof(name))));

    /// <summary>
    /// A kernel text (e.g. a test's own .cu) composed like the library's: common.cuh inlined in place of its include.
    /// </summary>
    public static KernelSource Compose(string name, string text)
    {
        var common = ReadResource(ResourcePrefix + CommonHeader)
            ?? throw new InvalidOperationException($"kernels/{CommonHeader} is not embedded in {Assembly.GetName().Name}");
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var composed = new StringBuilder(text.Length + common.Length + 128);
        composed.Append("#line 1 \"").Append(name).Append(".cu\"\n");
        for (var i = 0; i < lines.Length; i++)
        {
            var include = IncludeLine().Match(lines[i]);
            if (!include.Success)
            {
                composed.Append(lines[i]);
                if (i < lines.Length - 1) composed.Append('\n');
                continue;
            }
            if (include.Groups[1].Value != CommonHeader)
                throw new InvalidDataException(
                    $"{name}.cu:{i + 1}: kernels may include only \"{CommonHeader}\", not {include.Groups[1].Value}");
            composed.Append("#line 1 \"").Append(CommonHeader).Append("\"\n").Append(common.ReplaceLineEndings("\n"));
            if (!common.EndsWith('\n')) composed.Append('\n');
            composed.Append("#line ").Append(i + 2).Append(" \"").Append(name).Append(".cu\"\n");
        }
        return new KernelSource(name, composed.ToString());
    }

    /// <summary>An embedded file's text (kernels/…), or null when there is none of that name.</summary>
    internal static string? ReadResource(string logicalName)
    {
        using var stream = Assembly.GetManifestResourceStream(logicalName);
        if (stream is null) return null;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [GeneratedRegex("""^\s*#\s*include\s*[<"]([^>"]+)[>"]""")]
    private static partial Regex IncludeLine();
}

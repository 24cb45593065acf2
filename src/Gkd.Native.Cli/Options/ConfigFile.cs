using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gkd.Native.Cli.Options;

/// <summary>
/// Reads a <c>--config</c> YAML file, as TRL's <c>TrlParser</c> does: one top-level mapping whose keys are option
/// names and whose values are scalars or lists of scalars. A null value (<c>key:</c>, <c>~</c>, <c>null</c>) leaves the
/// option at its default. Uses YamlDotNet's representation model only (no reflection), so it survives NativeAOT.
/// </summary>
internal static class ConfigFile
{
    public static IReadOnlyList<KeyValuePair<string, RawValue>> Load(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"config file '{path}' not found");
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new UsageException($"config file '{path}' is not valid YAML: {e.Message}");
        }
        if (stream.Documents.Count == 0) return [];
        if (stream.Documents.Count > 1) throw new UsageException($"config file '{path}' holds more than one YAML document");
        var root = stream.Documents[0].RootNode;
        if (IsNull(root)) return [];
        if (root is not YamlMappingNode mapping)
            throw new UsageException($"config file '{path}' must be a mapping of option names to values");

        var entries = new List<KeyValuePair<string, RawValue>>();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = keyNode is YamlScalarNode { Value: { } k }
                ? k
                : throw new UsageException($"config file '{path}' line {keyNode.Start.Line}: keys must be plain names");
            if (IsNull(valueNode)) continue;
            entries.Add(new(key, valueNode switch
            {
                YamlScalarNode scalar => RawValue.Of(scalar.Value ?? ""),
                YamlSequenceNode sequence => RawValue.Of(sequence.Children.Select(item => item is YamlScalarNode { Value: { } v }
                    ? v
                    : throw new UsageException($"config file '{path}' line {item.Start.Line}: '{key}' must list plain values")).ToArray()),
                _ => throw new UsageException($"config file '{path}' line {valueNode.Start.Line}: '{key}' must be a value or a list"),
            }));
        }
        return entries;
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };
}

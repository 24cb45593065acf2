using System.Text.Json;

namespace Gkd.Native.Cli.Commands;

internal static class Json
{
    public static JsonSerializerOptions Indented { get; } = new() { WriteIndented = true };
}

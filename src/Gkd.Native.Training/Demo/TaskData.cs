using System.Text.Json.Nodes;
using Gkd.Native.Core.IO;

namespace Gkd.Native.Training.Demo;

/// <summary>
/// Writes task splits as a conversational dataset directory (train.jsonl and test.jsonl, one {"messages": [user,
/// assistant]} row per line) — the shape <c>gkd train --dataset_name DIR</c> reads, and what the demo itself loads.
/// </summary>
public static class TaskData
{
    public static void Write(string dir, IReadOnlyList<TaskExample> train, IReadOnlyList<TaskExample> test)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "train.jsonl"), Lines(train));
        AtomicFile.WriteAllText(Path.Combine(dir, "test.jsonl"), Lines(test));
    }

    private static string Lines(IEnumerable<TaskExample> rows) => string.Concat(rows.Select(r => new JsonObject
    {
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "user", ["content"] = r.Prompt },
            new JsonObject { ["role"] = "assistant", ["content"] = r.Answer }),
    }.ToJsonString() + "\n"));
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.IO;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Model;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Bench;

/// <summary>
/// What the CPU benchmarks (bench/cpu/*.sh) feed both sides: checkpoints and chat rows written by
/// bench/peers/make_checkpoints.py, tokenized and collated by our ChatCollator, and dumped as JSON so the PyTorch
/// peer computes the very same token batches.
/// </summary>
public static class Workload
{
    public static Qwen2Model LoadModel(IBackend backend, string dir)
    {
        using var checkpoint = HfCheckpoint.Open(dir);
        return Qwen2Model.Load(checkpoint, backend);
    }

    public static BpeChatTokenizer Tokenizer(string modelDir) => BpeChatTokenizer.Load(modelDir);

    /// <summary>The rows of a split, tokenized and cut to max_length as `gkd eval` does.</summary>
    public static TokenizedExample[] Tokenize(ChatCollator collator, string dataset, string split) =>
        DatasetLoader.LoadAsync(dataset, split).GetAwaiter().GetResult().Examples.Select(collator.Tokenize).ToArray();

    /// <summary>
    /// Rows of exactly promptLength prompt tokens (the last ones: the generation prompt stays at the end) and
    /// completionLength completion tokens (the first ones), from the train rows long enough for both.
    /// </summary>
    public static TokenizedExample[] FixedRows(IChatTokenizer tokenizer, string dataset, int count, int promptLength, int completionLength)
    {
        var collator = new ChatCollator(tokenizer, null);
        var rows = new List<TokenizedExample>();
        foreach (var example in DatasetLoader.LoadAsync(dataset, "train").GetAwaiter().GetResult().Examples)
        {
            var r = collator.Tokenize(example);
            if (r.PromptIds.Length < promptLength || r.CompletionIds.Length < completionLength) continue;
            rows.Add(r with { PromptIds = r.PromptIds[^promptLength..], CompletionIds = r.CompletionIds[..completionLength] });
            if (rows.Count == count) return [.. rows];
        }
        throw new InvalidDataException($"{dataset}: only {rows.Count} rows have ≥ {promptLength} prompt and ≥ {completionLength} completion tokens, {count} wanted");
    }

    /// <summary>Collated batches as the peers read them: B, T, input_ids, start, labels (row-major).</summary>
    public static void DumpBatches(string path, IEnumerable<ChatBatch> batches, IReadOnlyDictionary<string, double> extra)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        foreach (var (k, v) in extra) json.WriteNumber(k, v);
        json.WriteStartArray("batches");
        foreach (var b in batches)
        {
            json.WriteStartObject();
            json.WriteNumber("B", b.B);
            json.WriteNumber("T", b.T);
            WriteInts(json, "input_ids", b.InputIds);
            WriteInts(json, "start", b.Start);
            WriteInts(json, "labels", b.Labels);
            json.WriteNumber("completion_tokens", b.CompletionTokenCount);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Fixed-length rows: prompts (N, P) and completions (N, C).</summary>
    public static void DumpRows(string path, IReadOnlyList<TokenizedExample> rows)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteStartArray("prompts");
        foreach (var r in rows) WriteInts(json, null, r.PromptIds);
        json.WriteEndArray();
        json.WriteStartArray("completions");
        foreach (var r in rows) WriteInts(json, null, r.CompletionIds);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteInts(Utf8JsonWriter json, string? name, int[] values)
    {
        if (name is null) json.WriteStartArray();
        else json.WriteStartArray(name);
        foreach (var v in values) json.WriteNumberValue(v);
        json.WriteEndArray();
    }

    /// <summary>The 1-minute load average (Linux), for the record beside every timing.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    public static string F(double v, int digits = 3) => v.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Nine significant digits, for losses compared across implementations.</summary>
    public static string G(double v) => v.ToString("G9", CultureInfo.InvariantCulture);

    public static double Seconds(Stopwatch sw) => sw.Elapsed.TotalSeconds;
}

using Gkd.Native.Training.Data;

namespace Gkd.Native.Training.Generation;

/// <summary>
/// Prompts left-padded to one width: ids (B, T) row-major, row b's real tokens at positions Start[b] … T − 1, so
/// every row's last token sits at T − 1. Every prompt holds at least one token.
/// </summary>
public sealed class PromptBatch
{
    public PromptBatch(int[] ids, int[] start, int time)
    {
        if (start.Length == 0 || time <= 0 || ids.Length != start.Length * time)
            throw new ArgumentException($"a prompt batch needs B > 0 rows of T > 0 ids: got {ids.Length} ids for {start.Length} rows of {time}");
        for (var b = 0; b < start.Length; b++)
            if (start[b] < 0 || start[b] >= time) throw new ArgumentException($"prompt row {b}: start {start[b]} leaves no token in [0, {time})");
        Ids = ids;
        Start = start;
        Time = time;
    }

    /// <summary>(B, T) token ids; pads may hold any valid id.</summary>
    public int[] Ids { get; }

    /// <summary>(B) left pads of each row = its first real position.</summary>
    public int[] Start { get; }

    /// <summary>T: the longest prompt.</summary>
    public int Time { get; }

    public int Batch => Start.Length;

    /// <summary>Real tokens of row b.</summary>
    public int Length(int b) => Time - Start[b];

    /// <summary>The prompts of a collated batch (what on-policy generation samples from).</summary>
    public static PromptBatch From(ChatBatch batch) => new(batch.PromptIds, batch.PromptStart, batch.PromptT);

    /// <summary>Prompts left-padded with padTokenId to the longest.</summary>
    public static PromptBatch LeftPad(IReadOnlyList<int[]> prompts, int padTokenId)
    {
        if (prompts.Count == 0) throw new ArgumentException("no prompts to pad");
        var time = prompts.Max(p => p.Length);
        var ids = new int[prompts.Count * time];
        var start = new int[prompts.Count];
        for (var b = 0; b < prompts.Count; b++)
        {
            start[b] = time - prompts[b].Length;
            ids.AsSpan(b * time, start[b]).Fill(padTokenId);
            prompts[b].CopyTo(ids, b * time + start[b]);
        }
        return new PromptBatch(ids, start, time);
    }
}

namespace Gkd.Native.Training.Generation;

/// <summary>
/// What one step of <see cref="Generator.Generate"/> produced: step Index's token of every row (B), the pad id for
/// rows that had already finished; Emitted[b] says whether row b produced Tokens[b] (it had not finished before).
/// </summary>
public sealed record GenerationStep(int Index, int[] Tokens, bool[] Emitted);

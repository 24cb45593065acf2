namespace Gkd.Native.Training.Data;

/// <summary>One split of a dataset, normalised: the files it was read from, in order, and their rows.</summary>
public sealed record ChatDataset(string Path, string Split, IReadOnlyList<string> Files, IReadOnlyList<ChatExample> Examples);

namespace Gkd.Native.Training.Demo;

/// <summary>One instance of the demo task: the user's message and the one correct reply.</summary>
public sealed record TaskExample(string Prompt, string Answer);

namespace Gkd.Native.Training.Trainer;

/// <summary>What the run distils, for the model card and adapter config: names as the user gave them.</summary>
public sealed record RunInfo(string StudentName, string TeacherName, string DatasetName);

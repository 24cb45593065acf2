namespace Gkd.Native.Training.Demo;

/// <summary>The student at one point of the demo: its eval generalized JSD to the teacher and its task accuracy.</summary>
public sealed record StudentScore(double EvalJsd, double Accuracy);

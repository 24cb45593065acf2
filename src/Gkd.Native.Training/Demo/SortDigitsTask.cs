using Gkd.Native.Training.Data;

namespace Gkd.Native.Training.Demo;

/// <summary>
/// The demo's synthetic chat task: the user writes "sort" and a string of random digits (duplicates allowed), the
/// assistant replies with the same digits in ascending order — "sort 50391" → "01359". Small enough for a tiny
/// transformer to learn in a minute on a CPU, hard enough that a smaller, briefly trained one gets it wrong often.
/// </summary>
public sealed class SortDigitsTask
{
    public const string Verb = "sort";

    public SortDigitsTask(int minDigits, int maxDigits)
    {
        if (minDigits < 1 || maxDigits < minDigits)
            throw new ArgumentOutOfRangeException(nameof(maxDigits), $"digit counts must satisfy 1 ≤ min ≤ max, got {minDigits}..{maxDigits}");
        MinDigits = minDigits;
        MaxDigits = maxDigits;
    }

    public int MinDigits { get; }
    public int MaxDigits { get; }

    /// <summary>The longest reply, in characters (= tokens: digits are single bytes).</summary>
    public int MaxAnswerLength => MaxDigits;

    /// <summary>The correct reply to a prompt of this task.</summary>
    public static string Solve(string prompt)
    {
        var prefix = Verb + " ";
        var digits = prompt.StartsWith(prefix, StringComparison.Ordinal) ? prompt[prefix.Length..] : "";
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
            throw new ArgumentException($"\"{prompt}\" is not a sort prompt (\"{prefix}\" and digits)", nameof(prompt));
        var sorted = digits.ToCharArray();
        Array.Sort(sorted);
        return new string(sorted);
    }

    /// <summary>One random instance: a uniform digit count in [min, max], then uniform digits.</summary>
    public TaskExample Sample(SplitMix64 rng)
    {
        var count = MinDigits + rng.NextBelow(MaxDigits - MinDigits + 1);
        var digits = new char[count];
        for (var i = 0; i < count; i++) digits[i] = (char)('0' + rng.NextBelow(10));
        var prompt = $"{Verb} {new string(digits)}";
        return new TaskExample(prompt, Solve(prompt));
    }

    /// <summary>
    /// Seeded train and test splits: test prompts are distinct, and no train prompt is a test prompt, so the test
    /// accuracy measures held-out prompts. Train prompts may repeat (they are draws from the task).
    /// </summary>
    public (TaskExample[] Train, TaskExample[] Test) Splits(ulong seed, int trainCount, int testCount)
    {
        var space = Enumerable.Range(MinDigits, MaxDigits - MinDigits + 1).Sum(n => Math.Pow(10, n));
        if (testCount > space / 2)
            throw new ArgumentOutOfRangeException(nameof(testCount), $"{testCount} distinct test prompts need more than {MinDigits}..{MaxDigits} digits allow");
        var rng = new SplitMix64(seed);
        var test = new List<TaskExample>(testCount);
        var held = new HashSet<string>(StringComparer.Ordinal);
        while (test.Count < testCount)
        {
            var e = Sample(rng);
            if (held.Add(e.Prompt)) test.Add(e);
        }
        var train = new List<TaskExample>(trainCount);
        while (train.Count < trainCount)
        {
            var e = Sample(rng);
            if (!held.Contains(e.Prompt)) train.Add(e);
        }
        return (train.ToArray(), test.ToArray());
    }
}

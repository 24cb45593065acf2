using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Gkd.Native.Training.Demo;

/// <summary>What the demo measured, on the held-out test prompts: the before/after table and results.json.</summary>
public sealed record DemoResult(double TeacherAccuracy, StudentScore Before, StudentScore After, int TestPrompts, double Beta)
{
    public const string FileName = "results.json";

    /// <summary>The before/after table, as printed at the end of the run.</summary>
    public string Table()
    {
        string Jsd(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
        string Pct(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture) + "%";
        var header = $"eval JSD to teacher (β={Beta.ToString(CultureInfo.InvariantCulture)})";
        var accuracy = $"accuracy ({TestPrompts} test prompts)";
        var rows = new (string Who, string Jsd, string Acc)[]
        {
            ("teacher", "—", Pct(TeacherAccuracy)),
            ("student before GKD", Jsd(Before.EvalJsd), Pct(Before.Accuracy)),
            ("student after GKD", Jsd(After.EvalJsd), Pct(After.Accuracy)),
        };
        var w0 = rows.Max(r => r.Who.Length);
        var sb = new StringBuilder();
        sb.AppendLine($"| {"".PadRight(w0)} | {header} | {accuracy} |");
        sb.AppendLine($"| {new string('-', w0)} | {new string('-', header.Length)} | {new string('-', accuracy.Length)} |");
        foreach (var (who, jsd, acc) in rows)
            sb.AppendLine($"| {who.PadRight(w0)} | {jsd.PadLeft(header.Length)} | {acc.PadLeft(accuracy.Length)} |");
        return sb.ToString();
    }

    public JsonObject ToJson() => new()
    {
        ["test_prompts"] = TestPrompts,
        ["beta"] = Beta,
        ["teacher_accuracy"] = TeacherAccuracy,
        ["student_before"] = new JsonObject { ["eval_jsd"] = Before.EvalJsd, ["accuracy"] = Before.Accuracy },
        ["student_after"] = new JsonObject { ["eval_jsd"] = After.EvalJsd, ["accuracy"] = After.Accuracy },
    };
}

using System.Text.Json.Nodes;
using Gkd.Native.Training.Reporting;

namespace Gkd.Native.Training.Trainer;

/// <summary>training_curves.png: loss (train and eval) and gradient norm against the optimizer step, from log_history.</summary>
public static class TrainingCurves
{
    public const string FileName = "training_curves.png";

    public static byte[] Render(TrainerState state)
    {
        var loss = Points(state.LogHistory, "loss");
        var eval = Points(state.LogHistory, "eval_loss");
        var norm = Points(state.LogHistory, "grad_norm");
        Series[] losses = eval.Count > 0
            ? [new("train loss", loss, LineChart.Palette[0]), new("eval loss", eval, LineChart.Palette[1])]
            : [new("train loss", loss, LineChart.Palette[0])];
        return LineChart.RenderPng(
        [
            new Panel("generalized JSD", "optimizer step", losses),
            new Panel("gradient norm", "optimizer step", [new("grad norm", norm, LineChart.Palette[2])]),
        ]);
    }

    private static List<(double X, double Y)> Points(IEnumerable<JsonObject> history, string key) =>
        history.Where(e => e.ContainsKey(key) && e.ContainsKey("step"))
            .Select(e => ((double)e["step"]!.GetValue<int>(), e[key]!.GetValue<double>())).ToList();
}

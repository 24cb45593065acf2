using System.Text.Json;
using System.Text.Json.Nodes;
using Gkd.Native.Core.IO;

namespace Gkd.Native.Training.Trainer;

/// <summary>
/// Progress of a run as transformers' trainer_state.json records it: the optimizer step reached, the epoch as a
/// fraction, and log_history — one object per logging or evaluation event.
/// </summary>
public sealed class TrainerState
{
    public const string FileName = "trainer_state.json";

    public int GlobalStep { get; set; }
    public double Epoch { get; set; }
    public int MaxSteps { get; init; }
    public int LoggingSteps { get; init; }
    public int SaveSteps { get; init; }
    public int? EvalSteps { get; init; }
    public int TrainBatchSize { get; init; }
    public double NumTrainEpochs { get; init; }
    public long NumInputTokensSeen { get; set; }
    public List<JsonObject> LogHistory { get; } = [];

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson().ToJsonString(Indented) + "\n");

    public JsonObject ToJson() => new()
    {
        ["best_metric"] = null,
        ["best_model_checkpoint"] = null,
        ["epoch"] = Epoch,
        ["eval_steps"] = EvalSteps,
        ["global_step"] = GlobalStep,
        ["is_hyper_param_search"] = false,
        ["is_local_process_zero"] = true,
        ["is_world_process_zero"] = true,
        ["log_history"] = new JsonArray(LogHistory.Select(e => (JsonNode)e.DeepClone()).ToArray()),
        ["logging_steps"] = LoggingSteps,
        ["max_steps"] = MaxSteps,
        ["num_input_tokens_seen"] = NumInputTokensSeen,
        ["num_train_epochs"] = NumTrainEpochs,
        ["save_steps"] = SaveSteps,
        ["total_flos"] = 0,
        ["train_batch_size"] = TrainBatchSize,
    };

    public static TrainerState Load(string path)
    {
        var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                   ?? throw new InvalidDataException($"{path}: not a JSON object");
        int Int(string key) => json[key]?.GetValue<int>() ?? throw new InvalidDataException($"{path}: missing {key}");
        var state = new TrainerState
        {
            MaxSteps = Int("max_steps"),
            LoggingSteps = Int("logging_steps"),
            SaveSteps = Int("save_steps"),
            EvalSteps = json["eval_steps"]?.GetValue<int>(),
            TrainBatchSize = Int("train_batch_size"),
            NumTrainEpochs = json["num_train_epochs"]?.GetValue<double>() ?? 0,
            GlobalStep = Int("global_step"),
            Epoch = json["epoch"]?.GetValue<double>() ?? 0,
            NumInputTokensSeen = json["num_input_tokens_seen"]?.GetValue<long>() ?? 0,
        };
        foreach (var e in json["log_history"]?.AsArray() ?? []) if (e is JsonObject o) state.LogHistory.Add((JsonObject)o.DeepClone());
        return state;
    }

    internal static JsonSerializerOptions Indented { get; } = new() { WriteIndented = true };
}

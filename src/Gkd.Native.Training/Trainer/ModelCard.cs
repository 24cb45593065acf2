using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Training.Trainer;

/// <summary>
/// The output directory's README.md, in the shape TRL's model cards take. Models and datasets given as local paths are
/// named in the text but left out of the metadata and unlinked, as TRL does: the Hub refuses a card whose base_model
/// or datasets is not a Hub id, which would fail --push_to_hub at the end of the run.
/// </summary>
public static partial class ModelCard
{
    public static string Render(RunInfo info, GkdConfig c, TrainerState state, StudentWeights weights)
    {
        var inv = CultureInfo.InvariantCulture;
        var lastTrain = state.LogHistory.LastOrDefault(e => e.ContainsKey("loss"));
        var lastEval = state.LogHistory.LastOrDefault(e => e.ContainsKey("eval_loss"));
        var lora = weights as LoraStudentWeights;
        var sb = new StringBuilder();
        sb.AppendLine("---");
        if (IsHubId(info.StudentName)) sb.AppendLine($"base_model: {info.StudentName}");
        if (IsHubId(info.DatasetName)) sb.AppendLine($"datasets:\n- {info.DatasetName}");
        if (lora is not null) sb.AppendLine("library_name: peft");
        sb.AppendLine("tags:\n- gkd\n- trl\n- knowledge-distillation\n- gkd-native");
        sb.AppendLine("---");
        sb.AppendLine();
        sb.AppendLine($"# {Path.GetFileName(Path.TrimEndingDirectorySeparator(c.OutputDir))}");
        sb.AppendLine();
        sb.AppendLine($"This model is {(lora is null ? "a fine-tuned version" : "a LoRA adapter")} of {Link(info.StudentName, "")}, " +
                      $"distilled from the teacher {Link(info.TeacherName, "")} on " +
                      $"{Link(info.DatasetName, "datasets/")} with on-policy knowledge distillation " +
                      "(GKD), trained by Gkd.Native — a native C# engine following TRL's GKDTrainer semantics.");
        sb.AppendLine();
        sb.AppendLine("## Training hyper-parameters");
        sb.AppendLine();
        sb.AppendLine("| parameter | value |\n| --- | --- |");
        void Row(string k, object? v) => sb.AppendLine(string.Create(inv, $"| {k} | {v} |"));
        Row("learning_rate", c.LearningRate);
        Row("per_device_train_batch_size", c.PerDeviceTrainBatchSize);
        Row("gradient_accumulation_steps", c.GradientAccumulationSteps);
        Row("optimizer steps", state.GlobalStep);
        Row("epochs", Math.Round(state.Epoch, 3));
        Row("lmbda (on-policy fraction)", c.Lmbda);
        Row("beta (generalized JSD)", c.Beta);
        Row("temperature", c.Temperature);
        Row("max_new_tokens", c.MaxNewTokens);
        Row("seq_kd", c.SeqKd);
        Row("optim", c.Optim);
        Row("lr_scheduler_type", c.LrSchedulerType);
        Row("max_grad_norm", c.MaxGradNorm);
        Row("seed", c.Seed);
        if (lora is not null)
        {
            Row("lora_r", lora.Config.R);
            Row("lora_alpha", lora.Config.Alpha);
            Row("lora_dropout", lora.Config.Dropout);
            Row("lora_target_modules", string.Join(", ", lora.Config.TargetModules));
            Row("use_rslora", lora.Config.UseRslora);
        }
        sb.AppendLine();
        sb.AppendLine("## Results");
        sb.AppendLine();
        sb.AppendLine(lastTrain is null ? "- no training steps were logged" : string.Create(inv, $"- final training loss (generalized JSD): {lastTrain["loss"]} at step {lastTrain["step"]}"));
        if (lastEval is not null) sb.AppendLine(string.Create(inv, $"- final eval_loss: {lastEval["eval_loss"]} at step {lastEval["step"]}"));
        sb.AppendLine($"- curves: [{TrainingCurves.FileName}]({TrainingCurves.FileName}); full log in {TrainerState.FileName}");
        sb.AppendLine();
        sb.AppendLine("## Citation");
        sb.AppendLine();
        sb.AppendLine("```bibtex");
        sb.AppendLine("""
            @inproceedings{agarwal2024on-policy,
                title        = {{On-Policy Distillation of Language Models: Learning from Self-Generated Mistakes}},
                author       = {Rishabh Agarwal and Nino Vieillard and Yongchao Zhou and Piotr Stanczyk and Sabela Ramos Garea and Matthieu Geist and Olivier Bachem},
                year         = 2024,
                booktitle    = {The Twelfth International Conference on Learning Representations, {ICLR} 2024, Vienna, Austria, May 7-11, 2024},
                publisher    = {OpenReview.net},
                url          = {https://openreview.net/forum?id=3zKtaqxLhW},
            }
            """);
        sb.AppendLine("```");
        return sb.ToString();
    }

    /// <summary>Whether name is a Hub id ("name" or "owner/name") rather than a local path.</summary>
    private static bool IsHubId(string name) => HubId().IsMatch(name) && !Directory.Exists(name) && !File.Exists(name);

    /// <summary>A link to the Hub page of a Hub id; a local path as code.</summary>
    private static string Link(string name, string kind) => IsHubId(name) ? $"[{name}](https://huggingface.co/{kind}{name})" : $"`{name}`";

    [GeneratedRegex(@"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")]
    private static partial Regex HubId();
}

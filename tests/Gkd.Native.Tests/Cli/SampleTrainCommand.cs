using Gkd.Native.Cli.Commands;
using Gkd.Native.Cli.Options;

namespace Gkd.Native.Tests.Cli;

/// <summary>
/// A verb declaring the options of TRL's LoRA GKD example plus one of each other kind, for the parser and dispatch
/// tests. Its body records what it was given, or throws when told to.
/// </summary>
internal sealed class SampleTrainCommand : ICommand
{
    public string Name => "train";

    public string Summary => "Distil a teacher into a student (test sample).";

    public OptionSet Options { get; } = new OptionSet()
        .String("model_name_or_path", null, "Student model: a Hub id or a local folder.", required: true)
        .String("teacher_model_name_or_path", null, "Teacher model.")
        .String("dataset_name", null, "Dataset id or folder.")
        .Float("learning_rate", 2e-5, "Initial AdamW learning rate.")
        .Int("per_device_train_batch_size", 8, "Batch size per device.")
        .Int("gradient_accumulation_steps", 1, "Micro-batches per optimizer step.")
        .String("output_dir", "trainer_output", "Where checkpoints go.")
        .Float("num_train_epochs", 3.0, "Epochs to train.")
        .Bool("push_to_hub", false, "Push the result to the Hub.")
        .Bool("gradient_checkpointing", false, "Recompute activations in backward.")
        .Bool("use_peft", false, "Train LoRA adapters instead of all weights.")
        .Int("lora_r", 16, "LoRA rank.")
        .Int("lora_alpha", 32, "LoRA alpha.")
        .Int("max_steps", -1, "Optimizer steps; -1 follows num_train_epochs.")
        .Int("seed", null, "Random seed.")
        .Enum("lr_scheduler_type", "linear", ["linear", "cosine", "constant"], "Learning-rate schedule.")
        .List("lora_target_modules", ["q_proj", "v_proj"], "Modules that get adapters, or all-linear.")
        .OptionalValue("resume_from_checkpoint", "latest", "Resume from PATH, or from the latest checkpoint when bare.");

    /// <summary>What the last run was given.</summary>
    public ParsedOptions? Received { get; private set; }

    public int Run(ParsedOptions options, TextWriter output)
    {
        Received = options;
        var model = options.Get<string>("model_name_or_path");
        if (model == "explode") throw new InvalidOperationException("boom");
        output.WriteLine($"training {model}");
        return 0;
    }
}

using System.Runtime.InteropServices;
using Gkd.Native.Cli.Options;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.IO;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Checkpoints;
using Gkd.Native.Training.Data;
using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Model;
using Gkd.Native.Training.Optim;
using Gkd.Native.Training.Trainer;

namespace Gkd.Native.Cli.Commands;

/// <summary>
/// <c>gkd train</c>: TRL's GKD recipe with its command line — a LoRA (or full) student distilled from a teacher on a
/// chat dataset, on-policy with probability lmbda. SIGINT/SIGTERM save a checkpoint and exit non-zero; a second
/// signal exits at once (checkpoints are written atomically, so the last one stays intact).
/// </summary>
public sealed class TrainCommand : ICommand
{
    public string Name => "train";
    public string Summary => "Distil a teacher into a student with GKD (TRL's flags; LoRA through --use_peft).";

    public OptionSet Options { get; } = new OptionSet()
        .String("model_name_or_path", null, "Student: checkpoint directory or Hub id in the local cache.", required: true)
        .String("teacher_model_name_or_path", null, "Teacher: checkpoint directory or Hub id in the local cache.", required: true)
        .String("dataset_name", null, "Dataset directory, file, or Hub id in the local datasets cache.", required: true)
        .String("dataset_train_split", "train", "Split to train on.")
        .String("dataset_test_split", "test", "Split to evaluate on (with --eval_strategy).")
        .String("output_dir", null, "Where checkpoints, the adapter and the logs go.", required: true)
        .Bool("overwrite_output_dir", false, "Allow writing into a non-empty output_dir.")
        .OptionalValue("resume_from_checkpoint", "latest", "Continue from checkpoint-N (bare: the newest in output_dir).")
        .Float("learning_rate", 2e-5, "Peak learning rate.")
        .Int("per_device_train_batch_size", 8, "Rows per micro-batch.")
        .Int("per_device_eval_batch_size", 8, "Rows per evaluation batch.")
        .Int("gradient_accumulation_steps", 1, "Micro-batches per optimizer step.")
        .Float("num_train_epochs", 3, "Epochs (ignored when --max_steps > 0).")
        .Int("max_steps", -1, "Optimizer steps; overrides the epochs when > 0.")
        .Float("lmbda", 0.5, "Probability that a micro-batch is on-policy (student-generated).")
        .Float("beta", 0.5, "Generalized JSD interpolation: 0 = KL(teacher‖student), 1 = KL(student‖teacher).")
        .Float("temperature", 0.9, "Sampling temperature of on-policy and seq-KD generations.")
        .Int("max_new_tokens", 128, "Most tokens generated per completion.")
        .Bool("seq_kd", false, "Off-policy micro-batches use teacher-generated completions.")
        .Bool("disable_dropout", true, "Turn off dropout in the student, LoRA dropout included.")
        .Int("max_length", 1024, "Keep the last max_length tokens of each dataset prompt + completion.")
        .Bool("use_peft", false, "Train LoRA adapters instead of the whole student.")
        .Int("lora_r", 16, "LoRA rank.")
        .Float("lora_alpha", 32, "LoRA alpha (scaling alpha/r).")
        .Float("lora_dropout", 0.05, "Dropout on the LoRA branch input.")
        .List("lora_target_modules", LoraConfig.DefaultTargets, "Projection names (q_proj … down_proj) or all-linear.")
        .Bool("use_rslora", false, "Scale by alpha/sqrt(r).")
        .String("adapter", null, "Start from this PEFT LoRA adapter instead of a fresh one (implies --use_peft).")
        .Enum("optim", "adamw_torch", ["adamw_torch", "sgd"], "Optimizer.")
        .Enum("lr_scheduler_type", "linear", LrSchedule.Types, "Learning-rate schedule.")
        .Int("warmup_steps", 0, "Linear warmup steps.")
        .Float("warmup_ratio", 0, "Warmup as a fraction of the steps (when --warmup_steps is 0).")
        .Float("weight_decay", 0, "Decoupled weight decay.")
        .Float("max_grad_norm", 1.0, "Clip the global gradient norm; 0 disables.")
        .Bool("gradient_checkpointing", false, "Recompute each decoder layer in backward to save activation memory.")
        .Int("seed", 42, "Seed of every random draw (data order, on-policy coin, sampling, dropout, LoRA init).")
        .Int("logging_steps", 10, "Log every N optimizer steps.")
        .Int("save_steps", 500, "Write checkpoint-N every N steps.")
        .Int("save_total_limit", null, "Keep only the newest N checkpoints.")
        .Enum("eval_strategy", "no", ["no", "steps", "epoch"], "When to evaluate on the test split.")
        .Int("eval_steps", null, "Evaluate every N steps (default: logging_steps).")
        .Bool("push_to_hub", false, "Upload output_dir to the Hub at the end (HF_TOKEN, HF_ENDPOINT).")
        .String("hub_model_id", null, "Repository to push to (default: output_dir's name under the token's user).");

    private readonly Func<ParsedOptions, IBackend> _createBackend;

    /// <param name="createBackend">The backend for the parsed flags (default: --device/--threads through <see cref="Devices"/>);
    /// tests pass the CUDA backend on the emulated runtime here.</param>
    public TrainCommand(Func<ParsedOptions, IBackend>? createBackend = null)
    {
        Devices.AddOptions(Options);
        _createBackend = createBackend ?? Devices.Create;
    }

    public int Run(ParsedOptions o, TextWriter output)
    {
        var config = Config(o);
        var resume = Resume(o, config.OutputDir);
        if (resume is null && !o.Get<bool>("overwrite_output_dir") && Directory.Exists(config.OutputDir) && Directory.EnumerateFileSystemEntries(config.OutputDir).Any())
            throw new UsageException($"--output_dir {config.OutputDir} is not empty; pass --overwrite_output_dir to write into it or --resume_from_checkpoint to continue");
        var hub = o.Get<bool>("push_to_hub") ? HubPush.Prepare(o, config.OutputDir, output) : null;
        using var backend = _createBackend(o); // first, so --device cuda without a GPU fails before any loading

        var studentName = o.Get<string>("model_name_or_path");
        var teacherName = o.Get<string>("teacher_model_name_or_path");
        var datasetName = o.Get<string>("dataset_name");
        var studentDir = Sources.ModelDirectory(studentName, "--model_name_or_path");
        var teacherDir = Sources.ModelDirectory(teacherName, "--teacher_model_name_or_path");
        var sc = Sources.Config(studentDir, "--model_name_or_path");
        var tc = Sources.Config(teacherDir, "--teacher_model_name_or_path");
        if (sc.VocabSize != tc.VocabSize)
            throw new InvalidDataException($"student and teacher must share a vocabulary: {studentDir} has vocab_size {sc.VocabSize}, {teacherDir} has {tc.VocabSize}");

        var tokenizer = Sources.Tokenizer(studentDir, "--model_name_or_path");
        var datasetPath = Sources.DatasetPath(datasetName, "--dataset_name");
        var collator = new ChatCollator(tokenizer, config.MaxLength);
        var train = Sources.Dataset(datasetPath, o.Get<string>("dataset_train_split"), "--dataset_name").Examples.Select(collator.Tokenize).ToArray();
        var eval = config.EvalStrategy == "no" ? null
            : Sources.Dataset(datasetPath, o.Get<string>("dataset_test_split"), "--dataset_name").Examples.Select(collator.Tokenize).ToArray();
        output.WriteLine($"train: {train.Length} rows of {datasetPath}" + (eval is null ? "" : $"; eval: {eval.Length} rows"));

        using var teacher = Sources.Model(backend, teacherDir, "--teacher_model_name_or_path");
        using var student = Sources.Model(backend, studentDir, "--model_name_or_path");
        var weights = Weights(o, student, studentName, config.Seed);
        var generation = Sources.Named("--model_name_or_path", () => GenerationConfig.Load(studentDir));
        var generator = new SamplingGenerator(generation.EosTokenIds.Count > 0 ? generation.EosTokenIds : [tokenizer.EosTokenId], tokenizer.PadTokenId);
        var trainer = new GkdTrainer(config, teacher, weights, train, eval, collator, tokenizer, generator, output,
            new RunInfo(studentName, teacherName, datasetName));
        output.WriteLine($"training {weights.Parameters.Sum(p => p.Tensor.Numel):N0} parameters for {trainer.MaxSteps} optimizer steps on {backend.Name}");

        using var stop = new StopSignals(output);
        var outcome = trainer.Train(resume, stop.Token);
        if (outcome == TrainOutcome.Interrupted) return stop.ExitCode;
        trainer.SaveFinal();
        Sources.CopyTokenizerFiles(studentDir, config.OutputDir);
        if (weights is FullStudentWeights) CopyGenerationConfig(studentDir, config.OutputDir);
        output.WriteLine($"saved the {(weights is LoraStudentWeights ? "adapter" : "model")} and logs to {config.OutputDir}");
        hub?.Upload(output);
        return 0;
    }

    private static GkdConfig Config(ParsedOptions o)
    {
        var c = new GkdConfig
        {
            OutputDir = Path.GetFullPath(o.Get<string>("output_dir")),
            LearningRate = o.Get<double>("learning_rate"),
            PerDeviceTrainBatchSize = Positive(o, "per_device_train_batch_size"),
            PerDeviceEvalBatchSize = Positive(o, "per_device_eval_batch_size"),
            GradientAccumulationSteps = Positive(o, "gradient_accumulation_steps"),
            NumTrainEpochs = o.Get<double>("num_train_epochs"),
            MaxSteps = o.Get<int>("max_steps"),
            Lmbda = Fraction(o, "lmbda"),
            Beta = Fraction(o, "beta"),
            Temperature = o.Get<double>("temperature"),
            MaxNewTokens = Positive(o, "max_new_tokens"),
            SeqKd = o.Get<bool>("seq_kd"),
            DisableDropout = o.Get<bool>("disable_dropout"),
            MaxLength = Positive(o, "max_length"),
            Optim = o.Get<string>("optim"),
            WeightDecay = o.Get<double>("weight_decay"),
            MaxGradNorm = o.Get<double>("max_grad_norm"),
            LrSchedulerType = o.Get<string>("lr_scheduler_type"),
            WarmupSteps = o.Get<int>("warmup_steps"),
            WarmupRatio = Fraction(o, "warmup_ratio"),
            Seed = (ulong)o.Get<int>("seed"),
            LoggingSteps = Positive(o, "logging_steps"),
            SaveSteps = o.Get<int>("save_steps"),
            SaveTotalLimit = o.TryGet<int>("save_total_limit", out var limit) ? limit : null,
            EvalStrategy = o.Get<string>("eval_strategy"),
            EvalSteps = o.TryGet<int>("eval_steps", out var es) ? es : null,
            GradientCheckpointing = o.Get<bool>("gradient_checkpointing"),
        };
        if (c.MaxSteps <= 0 && c.NumTrainEpochs <= 0) throw new UsageException("--num_train_epochs must be positive when --max_steps is not set");
        if (c.Temperature <= 0) throw new UsageException($"--temperature must be positive, got {c.Temperature}");
        if (c.MaxGradNorm < 0) throw new UsageException($"--max_grad_norm must be ≥ 0, got {c.MaxGradNorm}");
        return c;
    }

    private static StudentWeights Weights(ParsedOptions o, Qwen2Model student, string studentName, ulong seed)
    {
        o.TryGet<string>("adapter", out var adapter);
        if (adapter is not null)
        {
            var loaded = Sources.Named("--adapter", () => LoraAdapter.Load(student, adapter));
            ApplyDropout(o, student, loaded.Dropout);
            return new LoraStudentWeights(student, loaded, studentName);
        }
        if (!o.Get<bool>("use_peft"))
        {
            foreach (var (_, t) in student.NamedWeights())
            {
                if (t.DType != DType.F32)
                    throw new UsageException($"full fine-tuning needs f32 weights, {t.Name} is {t.DType}; use --use_peft to train LoRA adapters on this checkpoint");
                t.RequiresGrad = true;
            }
            return new FullStudentWeights(student);
        }
        var targets = o.Get<IReadOnlyList<string>>("lora_target_modules");
        // PEFT resolves all-linear to the linear layers' names and saves those; a saved ["all-linear"] would match no
        // module when PEFT loads the adapter.
        if (targets.Contains(LoraConfig.AllLinear)) targets = student.Projections.Select(p => p.Kind).Distinct().ToArray();
        var lora = new LoraConfig(Positive(o, "lora_r"), o.Get<double>("lora_alpha"), Fraction(o, "lora_dropout"), targets, o.Get<bool>("use_rslora"));
        try
        {
            LoraAdapter.Attach(student, lora, seed);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            throw new UsageException(e.Message);
        }
        ApplyDropout(o, student, lora.Dropout);
        return new LoraStudentWeights(student, lora, studentName);
    }

    /// <summary>generation_config.json (EOS ids, sampling defaults), as save_pretrained writes it beside a full model.</summary>
    private static void CopyGenerationConfig(string modelDir, string dir)
    {
        var from = Path.Combine(modelDir, HfCheckpoint.GenerationConfigFileName);
        if (File.Exists(from)) AtomicFile.WriteAllBytes(Path.Combine(dir, HfCheckpoint.GenerationConfigFileName), File.ReadAllBytes(from));
    }

    private static void ApplyDropout(ParsedOptions o, Qwen2Model student, double dropout) =>
        LoraAdapter.SetDropout(student, o.Get<bool>("disable_dropout") ? 0 : dropout);

    private static string? Resume(ParsedOptions o, string outputDir)
    {
        if (!o.TryGet<string>("resume_from_checkpoint", out var value)) return null;
        if (value != "latest") return Path.GetFullPath(value);
        return TrainingCheckpoint.Latest(outputDir)
               ?? throw new UsageException($"--resume_from_checkpoint: no checkpoint-N directory in {outputDir}");
    }

    private static int Positive(ParsedOptions o, string name)
    {
        var v = o.Get<int>(name);
        return v > 0 ? v : throw new UsageException($"--{name} must be positive, got {v}");
    }

    private static double Fraction(ParsedOptions o, string name)
    {
        var v = o.Get<double>(name);
        return v is >= 0 and <= 1 ? v : throw new UsageException($"--{name} must lie in [0, 1], got {v}");
    }
}

using System.Text.Json.Nodes;

namespace Gkd.Native.Training.Trainer;

/// <summary>training_args.json: the run's configuration under TRL's names.</summary>
public static class TrainingArgs
{
    public static string ToJson(GkdConfig c) => new JsonObject
    {
        ["output_dir"] = c.OutputDir,
        ["learning_rate"] = c.LearningRate,
        ["per_device_train_batch_size"] = c.PerDeviceTrainBatchSize,
        ["per_device_eval_batch_size"] = c.PerDeviceEvalBatchSize,
        ["gradient_accumulation_steps"] = c.GradientAccumulationSteps,
        ["num_train_epochs"] = c.NumTrainEpochs,
        ["max_steps"] = c.MaxSteps,
        ["lmbda"] = c.Lmbda,
        ["beta"] = c.Beta,
        ["temperature"] = c.Temperature,
        ["max_new_tokens"] = c.MaxNewTokens,
        ["seq_kd"] = c.SeqKd,
        ["disable_dropout"] = c.DisableDropout,
        ["max_length"] = c.MaxLength,
        ["optim"] = c.Optim,
        ["weight_decay"] = c.WeightDecay,
        ["adam_beta1"] = c.AdamBeta1,
        ["adam_beta2"] = c.AdamBeta2,
        ["adam_epsilon"] = c.AdamEpsilon,
        ["max_grad_norm"] = c.MaxGradNorm,
        ["lr_scheduler_type"] = c.LrSchedulerType,
        ["warmup_steps"] = c.WarmupSteps,
        ["warmup_ratio"] = c.WarmupRatio,
        ["seed"] = c.Seed,
        ["logging_steps"] = c.LoggingSteps,
        ["save_steps"] = c.SaveSteps,
        ["save_total_limit"] = c.SaveTotalLimit,
        ["eval_strategy"] = c.EvalStrategy,
        ["eval_steps"] = c.EvalSteps,
        ["gradient_checkpointing"] = c.GradientCheckpointing,
    }.ToJsonString(TrainerState.Indented);
}

using Gkd.Native.Training.Model;

namespace Gkd.Native.Training.Demo;

/// <summary>
/// Sizes and budgets of a demo run: the task, both models, their cross-entropy training, and the GKD run.
/// <see cref="Full"/> is the README's run (a few minutes on 2 cores); <see cref="Quick"/> the same pipeline in
/// seconds, for tests and CI.
/// </summary>
public sealed record DemoPlan
{
    public required string Name { get; init; }
    public required int MinDigits { get; init; }
    public required int MaxDigits { get; init; }
    public required int TrainExamples { get; init; }
    public required int TestExamples { get; init; }
    public required Qwen2Config Teacher { get; init; }
    public required Qwen2Config Student { get; init; }

    /// <summary>Standard deviation of the initial weights.</summary>
    public required double InitStd { get; init; }

    public required CrossEntropySettings TeacherTraining { get; init; }
    public required CrossEntropySettings StudentTraining { get; init; }
    public required int GkdSteps { get; init; }
    public required int GkdBatchSize { get; init; }
    public required double GkdLearningRate { get; init; }
    public required int GkdEvalSteps { get; init; }
    public required LoraConfig Lora { get; init; }

    /// <summary>The demo's model shape: Qwen2's (GQA, q/k/v biases, tied embeddings) at toy width.</summary>
    public static Qwen2Config Model(int hidden, int layers, int heads, int kvHeads, int ff) => new()
    {
        HiddenSize = hidden,
        IntermediateSize = ff,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        VocabSize = DemoTokenizer.VocabSize,
        TieWordEmbeddings = true,
        MaxPositionEmbeddings = 512,
        RopeTheta = 10000,
        TorchDType = Core.Tensors.DType.F32,
    };

    public static DemoPlan Full { get; } = new()
    {
        Name = "full",
        MinDigits = 3,
        MaxDigits = 8,
        TrainExamples = 20000,
        TestExamples = 256,
        Teacher = Model(hidden: 128, layers: 4, heads: 4, kvHeads: 2, ff: 384),
        Student = Model(hidden: 64, layers: 2, heads: 4, kvHeads: 2, ff: 192),
        InitStd = 0.02,
        TeacherTraining = new CrossEntropySettings(Steps: 500, BatchSize: 32, LearningRate: 2e-3, WarmupSteps: 30, WeightDecay: 0.01),
        StudentTraining = new CrossEntropySettings(Steps: 150, BatchSize: 32, LearningRate: 2e-3, WarmupSteps: 15, WeightDecay: 0.01),
        GkdSteps = 200,
        GkdBatchSize = 32,
        GkdLearningRate = 2e-3,
        GkdEvalSteps = 20,
        Lora = new LoraConfig(R: 16, Alpha: 32, Dropout: 0, TargetModules: [LoraConfig.AllLinear]),
    };

    public static DemoPlan Quick { get; } = Full with
    {
        Name = "quick",
        MinDigits = 2,
        MaxDigits = 4,
        TrainExamples = 2000,
        TestExamples = 64,
        Teacher = Model(hidden: 64, layers: 2, heads: 4, kvHeads: 2, ff: 128),
        Student = Model(hidden: 32, layers: 1, heads: 2, kvHeads: 1, ff: 64),
        TeacherTraining = new CrossEntropySettings(Steps: 100, BatchSize: 16, LearningRate: 5e-3, WarmupSteps: 10, WeightDecay: 0.01),
        StudentTraining = new CrossEntropySettings(Steps: 20, BatchSize: 16, LearningRate: 5e-3, WarmupSteps: 3, WeightDecay: 0.01),
        GkdSteps = 30,
        GkdBatchSize = 16,
        GkdLearningRate = 1e-2,
        GkdEvalSteps = 10,
        Lora = new LoraConfig(R: 8, Alpha: 16, Dropout: 0, TargetModules: [LoraConfig.AllLinear]),
    };
}

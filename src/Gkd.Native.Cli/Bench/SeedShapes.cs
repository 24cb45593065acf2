using Gkd.Native.Training.Model;

namespace Gkd.Native.Cli.Bench;

/// <summary>
/// The seed recipe's models (Qwen2-0.5B-Instruct student, Qwen2-1.5B-Instruct teacher) as configs, and a tiny pair of
/// the same family for checking the step harness under emulation.
/// </summary>
internal static class SeedShapes
{
    public const int PadTokenId = 151643;
    public static readonly int[] EosTokenIds = [151645, 151643];

    public static Qwen2Config Student { get; } = new()
    {
        HiddenSize = 896, IntermediateSize = 4864, NumHiddenLayers = 24, NumAttentionHeads = 14, NumKeyValueHeads = 2,
        VocabSize = 151936, RopeTheta = 1e6, RmsNormEps = 1e-6, TieWordEmbeddings = true,
    };

    public static Qwen2Config Teacher { get; } = new()
    {
        HiddenSize = 1536, IntermediateSize = 8960, NumHiddenLayers = 28, NumAttentionHeads = 12, NumKeyValueHeads = 2,
        VocabSize = 151936, RopeTheta = 1e6, RmsNormEps = 1e-6, TieWordEmbeddings = true,
    };

    public static Qwen2Config TinyStudent { get; } = new()
    {
        HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2,
        VocabSize = 151936, RopeTheta = 1e6, RmsNormEps = 1e-6, TieWordEmbeddings = true,
    };

    public static Qwen2Config TinyTeacher { get; } = new()
    {
        HiddenSize = 96, IntermediateSize = 192, NumHiddenLayers = 2, NumAttentionHeads = 6, NumKeyValueHeads = 2,
        VocabSize = 151936, RopeTheta = 1e6, RmsNormEps = 1e-6, TieWordEmbeddings = true,
    };
}

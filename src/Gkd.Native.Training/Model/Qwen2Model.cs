using Gkd.Native.Core.Autograd;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Model;

/// <summary>
/// Qwen2ForCausalLM on any backend: token embedding, decoder layers, final RMSNorm; the LM head (tied to the
/// embedding or separate) is applied by the distillation head or the sampler, never to all rows at once.
/// </summary>
public sealed class Qwen2Model : IDisposable
{
    private Qwen2Model(Qwen2Config config, IBackend backend, Tensor embed, Qwen2DecoderLayer[] layers, Tensor norm, Tensor lmHead)
    {
        Config = config;
        Backend = backend;
        EmbedTokens = embed;
        Layers = layers;
        Norm = norm;
        LmHead = lmHead;
    }

    public Qwen2Config Config { get; }
    public IBackend Backend { get; }
    public Tensor EmbedTokens { get; }                     // (V, C)
    public IReadOnlyList<Qwen2DecoderLayer> Layers { get; }
    public Tensor Norm { get; }                            // (C)
    public Tensor LmHead { get; }                          // (V, C); the embedding itself when tied

    /// <summary>Recompute each decoder layer in backward instead of keeping its activations.</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>Builds the model from named weights (transformers' key names); load throws for a missing key.</summary>
    public static Qwen2Model FromWeights(Qwen2Config config, IBackend backend, Func<string, Tensor> load)
    {
        var embed = load("model.embed_tokens.weight");
        if (embed.Shape != new Shape(config.VocabSize, config.HiddenSize))
            throw new InvalidDataException($"model.embed_tokens.weight is {embed.Shape}, config says ({config.VocabSize}, {config.HiddenSize})");
        var layers = new Qwen2DecoderLayer[config.NumHiddenLayers];
        for (var i = 0; i < layers.Length; i++) layers[i] = new Qwen2DecoderLayer(config, i, load);
        var norm = load("model.norm.weight");
        var head = config.TieWordEmbeddings ? embed.Share() : load("lm_head.weight");
        return new Qwen2Model(config, backend, embed, layers, norm, head);
    }

    public IEnumerable<Projection> Projections => Layers.SelectMany(l => l.Projections);

    /// <summary>
    /// The final hidden states (B·T, C) after model.norm. seed keys LoRA dropout (one stream per layer and module);
    /// with <see cref="GradientCheckpointing"/> each layer is recomputed during backward.
    /// </summary>
    public Tensor Forward(Tape tape, ModelInput input, ulong seed = 0)
    {
        var x = tape.Embedding(input.Ids, EmbedTokens); // (B·T, C)
        foreach (var layer in Layers)
        {
            var layerSeed = seed ^ ((ulong)(layer.Index + 1) << 40);
            var next = GradientCheckpointing && tape.IsRecording
                ? tape.Checkpoint($"layer{layer.Index}", x, (t, h) => layer.Forward(t, h, input, layerSeed))
                : layer.Forward(tape, x, input, layerSeed);
            x.Dispose();
            x = next;
        }
        using (x) return tape.RmsNorm(x, Norm, (float)Config.RmsNormEps);
    }

    public void Dispose()
    {
        EmbedTokens.Dispose();
        foreach (var l in Layers) l.Dispose();
        Norm.Dispose();
        LmHead.Dispose();
    }
}

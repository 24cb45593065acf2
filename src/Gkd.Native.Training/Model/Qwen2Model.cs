using Gkd.Native.Core.Autograd;
using Gkd.Native.Core.Backends;
using Gkd.Native.Core.IO;
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
    public static Qwen2Model FromWeights(Qwen2Config config, IBackend backend, Func<string, Tensor> loadAny)
    {
        Tensor load(string key)
        {
            var t = loadAny(key);
            var want = ExpectedShape(config, key);
            if (t.Shape == want) return t;
            t.Dispose();
            throw new InvalidDataException($"weight {key} is {t.Shape}, but config.json implies {want}");
        }

        var embed = load("model.embed_tokens.weight");
        var layers = new Qwen2DecoderLayer[config.NumHiddenLayers];
        for (var i = 0; i < layers.Length; i++) layers[i] = new Qwen2DecoderLayer(config, i, load);
        var norm = load("model.norm.weight");
        var head = config.TieWordEmbeddings ? embed.Share() : load("lm_head.weight");
        return new Qwen2Model(config, backend, embed, layers, norm, head);
    }

    /// <summary>
    /// Opens a Hugging Face checkpoint directory. Matrices stay in the file's dtype (the backend's GEMM reads them
    /// as they are); vectors (norm weights, biases) are converted to the activation dtype.
    /// </summary>
    public static Qwen2Model Load(HfCheckpoint checkpoint, IBackend backend)
    {
        var config = Qwen2Config.FromCheckpoint(checkpoint);
        return FromWeights(config, backend, key =>
        {
            var t = checkpoint.Load(backend, key);
            t.Name = key;
            if (t.Shape.Rank != 1 || t.DType == backend.ActivationDType) return t;
            using (t)
            {
                var v = backend.Allocate(t.Shape, backend.ActivationDType);
                backend.Copy(v, t);
                v.Name = key;
                return v;
            }
        });
    }

    /// <summary>The shape config.json implies for a transformers weight key.</summary>
    public static Shape ExpectedShape(Qwen2Config c, string key)
    {
        int q = c.NumAttentionHeads * c.HeadDim, kv = c.NumKeyValueHeads * c.HeadDim, h = c.HiddenSize, ff = c.IntermediateSize;
        var name = key.StartsWith("model.layers.", StringComparison.Ordinal) ? key[(key.IndexOf('.', 13) + 1)..] : key;
        return name switch
        {
            "model.embed_tokens.weight" or "lm_head.weight" => new Shape(c.VocabSize, h),
            "model.norm.weight" or "input_layernorm.weight" or "post_attention_layernorm.weight" => new Shape(h),
            "self_attn.q_proj.weight" => new Shape(q, h),
            "self_attn.q_proj.bias" => new Shape(q),
            "self_attn.k_proj.weight" or "self_attn.v_proj.weight" => new Shape(kv, h),
            "self_attn.k_proj.bias" or "self_attn.v_proj.bias" => new Shape(kv),
            "self_attn.o_proj.weight" => new Shape(h, q),
            "mlp.gate_proj.weight" or "mlp.up_proj.weight" => new Shape(ff, h),
            "mlp.down_proj.weight" => new Shape(h, ff),
            _ => throw new ArgumentException($"unknown Qwen2 weight {key}"),
        };
    }

    public IEnumerable<Projection> Projections => Layers.SelectMany(l => l.Projections);

    /// <summary>Every base weight with its transformers key (the LM head only when untied).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedWeights()
    {
        yield return ("model.embed_tokens.weight", EmbedTokens);
        foreach (var layer in Layers)
        {
            var p = $"model.layers.{layer.Index}.";
            yield return (p + "input_layernorm.weight", layer.InputLayerNorm);
            yield return (p + "post_attention_layernorm.weight", layer.PostAttentionLayerNorm);
            foreach (var proj in layer.Projections)
            {
                yield return (proj.Path + ".weight", proj.Weight);
                if (proj.Bias is { } b) yield return (proj.Path + ".bias", b);
            }
        }
        yield return ("model.norm.weight", Norm);
        if (!Config.TieWordEmbeddings) yield return ("lm_head.weight", LmHead);
    }

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

    /// <summary>
    /// The prompt pass of generation (no tape, no dropout): runs the left-padded batch (B·T) through every layer,
    /// writing each layer's keys and values into cache slots [0, T), and returns the hidden state of each row's last
    /// position (T − 1) after model.norm: (B, C), the input of the LM head for the first new token.
    /// </summary>
    public Tensor Prefill(KvCache cache, ModelInput input)
    {
        cache.Reset(input);
        var x = Tape.NoGrad.Embedding(input.Ids, EmbedTokens); // (B·T, C)
        foreach (var layer in Layers)
        {
            var next = layer.Prefill(x, input, cache);
            x.Dispose();
            x = next;
        }
        cache.Advance(input.Time);
        var lastRows = new int[input.Batch];
        for (var b = 0; b < lastRows.Length; b++) lastRows[b] = b * input.Time + input.Time - 1;
        using (x)
        using (var rows = Backend.FromArray(lastRows, lastRows.Length))
        using (var last = Tape.NoGrad.Embedding(rows, x)) // (B, C): a row gather
            return Tape.NoGrad.RmsNorm(last, Norm, (float)Config.RmsNormEps);
    }

    /// <summary>
    /// One decode step (no tape, no dropout): ids (B) i32, one new token per row at positions (B) i32, go through
    /// every layer, their keys and values into cache slot <see cref="KvCache.Length"/> and their queries attending
    /// each row's slots start_b … that slot. Returns the hidden states after model.norm: (B, C).
    /// </summary>
    public Tensor DecodeStep(KvCache cache, Tensor ids, Tensor positions)
    {
        if (ids.Numel != cache.Batch || positions.Numel != cache.Batch)
            throw new ArgumentException($"a decode step of a {cache.Batch}-row cache takes {cache.Batch} ids and positions, got {ids.Numel} and {positions.Numel}");
        var slot = cache.Length;
        if (slot == 0 || slot >= cache.Capacity)
            throw new InvalidOperationException($"a decode step needs a prefilled KV cache with a free slot ({slot} of {cache.Capacity} used)");
        var x = Tape.NoGrad.Embedding(ids, EmbedTokens); // (B, C)
        foreach (var layer in Layers)
        {
            var next = layer.Decode(x, positions, cache, slot);
            x.Dispose();
            x = next;
        }
        cache.Advance(1);
        using (x) return Tape.NoGrad.RmsNorm(x, Norm, (float)Config.RmsNormEps);
    }

    public void Dispose()
    {
        EmbedTokens.Dispose();
        foreach (var l in Layers) l.Dispose();
        Norm.Dispose();
        LmHead.Dispose();
    }
}

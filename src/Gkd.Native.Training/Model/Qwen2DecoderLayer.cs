using Gkd.Native.Core.Autograd;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Model;

/// <summary>
/// One pre-norm decoder block: x + o_proj(attention(rope(q), rope(k), v)) over input_layernorm(x), then
/// + down_proj(silu(gate_proj(h)) · up_proj(h)) over post_attention_layernorm.
/// </summary>
public sealed class Qwen2DecoderLayer : IDisposable
{
    private readonly Qwen2Config _config;

    public Qwen2DecoderLayer(Qwen2Config config, int index, Func<string, Tensor> load)
    {
        _config = config;
        Index = index;
        var p = $"model.layers.{index}.";
        InputLayerNorm = load(p + "input_layernorm.weight");
        PostAttentionLayerNorm = load(p + "post_attention_layernorm.weight");
        QProj = new Projection(p + "self_attn.q_proj", load(p + "self_attn.q_proj.weight"), load(p + "self_attn.q_proj.bias"));
        KProj = new Projection(p + "self_attn.k_proj", load(p + "self_attn.k_proj.weight"), load(p + "self_attn.k_proj.bias"));
        VProj = new Projection(p + "self_attn.v_proj", load(p + "self_attn.v_proj.weight"), load(p + "self_attn.v_proj.bias"));
        OProj = new Projection(p + "self_attn.o_proj", load(p + "self_attn.o_proj.weight"), null);
        GateProj = new Projection(p + "mlp.gate_proj", load(p + "mlp.gate_proj.weight"), null);
        UpProj = new Projection(p + "mlp.up_proj", load(p + "mlp.up_proj.weight"), null);
        DownProj = new Projection(p + "mlp.down_proj", load(p + "mlp.down_proj.weight"), null);
    }

    public int Index { get; }
    public Tensor InputLayerNorm { get; }          // (C)
    public Tensor PostAttentionLayerNorm { get; }  // (C)
    public Projection QProj { get; }               // (NH·HS, C) + bias
    public Projection KProj { get; }               // (NKV·HS, C) + bias
    public Projection VProj { get; }               // (NKV·HS, C) + bias
    public Projection OProj { get; }               // (C, NH·HS)
    public Projection GateProj { get; }            // (FF, C)
    public Projection UpProj { get; }              // (FF, C)
    public Projection DownProj { get; }            // (C, FF)

    public IEnumerable<Projection> Projections => [QProj, KProj, VProj, OProj, GateProj, UpProj, DownProj];

    /// <summary>x (B·T, C) → (B·T, C). seed keys the LoRA dropout masks of this layer's projections.</summary>
    public Tensor Forward(Tape tape, Tensor x, ModelInput input, ulong seed) =>
        Block(tape, x, input.Positions, seed,
            (q, k, v) => tape.Attention(q, k, v, input.Start, _config.NumAttentionHeads, _config.HeadDim));

    /// <summary>
    /// The prompt pass of generation, x (B·T, C) → (B·T, C) with no tape and no dropout: the forward's block, whose
    /// keys and values (after RoPE) also go into this layer's cache slots [0, T).
    /// </summary>
    public Tensor Prefill(Tensor x, ModelInput input, KvCache cache) =>
        Block(Tape.NoGrad, x, input.Positions, null, (q, k, v) =>
        {
            x.Backend.KvCacheWrite(cache.Keys[Index], cache.Values[Index], k, v, 0);
            return Tape.NoGrad.Attention(q, k, v, input.Start, _config.NumAttentionHeads, _config.HeadDim);
        });

    /// <summary>
    /// One decode step, x (B, C) → (B, C) for one new token per row at positions (B) i32, with no tape and no
    /// dropout: its key and value go into cache slot <paramref name="slot"/>, and its query attends the row's
    /// slots start_b … slot.
    /// </summary>
    public Tensor Decode(Tensor x, Tensor positions, KvCache cache, int slot) =>
        Block(Tape.NoGrad, x, positions, null, (q, k, v) =>
        {
            var be = x.Backend;
            be.KvCacheWrite(cache.Keys[Index], cache.Values[Index], k, v, slot);
            var o = be.Allocate(q.Shape, be.ActivationDType); // (B, NH·HS)
            be.AttentionDecode(o, q, cache.Keys[Index], cache.Values[Index], cache.Start, slot + 1, _config.HeadDim);
            return o;
        });

    /// <summary>
    /// The block around an attention: x (N, C) → (N, C) with q (N, NH·HS), k, v (N, NKV·HS) at positions (N) handed
    /// to attend, which returns (N, NH·HS). With a seed the projections run on the tape with their LoRA dropout;
    /// without one (generation) they run without dropout.
    /// </summary>
    private Tensor Block(Tape tape, Tensor x, Tensor positions, ulong? seed, Func<Tensor, Tensor, Tensor, Tensor> attend)
    {
        Tensor Project(Projection p, Tensor input, int module) =>
            seed is { } s ? p.Forward(tape, input, Mix(s, module)) : p.Infer(input);

        var c = _config;
        using var h = tape.RmsNorm(x, InputLayerNorm, (float)c.RmsNormEps);   // (N, C)
        using var q0 = Project(QProj, h, 0);                                   // (N, NH·HS)
        using var k0 = Project(KProj, h, 1);                                   // (N, NKV·HS)
        using var v = Project(VProj, h, 2);                                    // (N, NKV·HS)
        using var q = tape.Rope(q0, positions, c.HeadDim, (float)c.RopeTheta);
        using var k = tape.Rope(k0, positions, c.HeadDim, (float)c.RopeTheta);
        using var a = attend(q, k, v);                                         // (N, NH·HS)
        using var o = Project(OProj, a, 3);                                    // (N, C)
        using var x1 = tape.Add(x, o);                                         // (N, C)
        using var h2 = tape.RmsNorm(x1, PostAttentionLayerNorm, (float)c.RmsNormEps);
        using var g = Project(GateProj, h2, 4);                                // (N, FF)
        using var u = Project(UpProj, h2, 5);                                  // (N, FF)
        using var m = tape.SwiGlu(g, u);                                       // (N, FF)
        using var d = Project(DownProj, m, 6);                                 // (N, C)
        return tape.Add(x1, d);
    }

    /// <summary>A distinct, reproducible dropout seed per projection (SplitMix64 finaliser).</summary>
    private static ulong Mix(ulong seed, int module)
    {
        var z = seed + 0x9E3779B97F4A7C15UL * (ulong)(module + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public void Dispose()
    {
        InputLayerNorm.Dispose();
        PostAttentionLayerNorm.Dispose();
        foreach (var p in Projections) p.Dispose();
    }
}

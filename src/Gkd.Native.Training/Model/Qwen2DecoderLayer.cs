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
    public Tensor Forward(Tape tape, Tensor x, ModelInput input, ulong seed)
    {
        var c = _config;
        using var h = tape.RmsNorm(x, InputLayerNorm, (float)c.RmsNormEps);          // (B·T, C)
        using var q0 = QProj.Forward(tape, h, Mix(seed, 0));                   // (B·T, NH·HS)
        using var k0 = KProj.Forward(tape, h, Mix(seed, 1));                   // (B·T, NKV·HS)
        using var v = VProj.Forward(tape, h, Mix(seed, 2));                    // (B·T, NKV·HS)
        using var q = tape.Rope(q0, input.Positions, c.HeadDim, (float)c.RopeTheta);
        using var k = tape.Rope(k0, input.Positions, c.HeadDim, (float)c.RopeTheta);
        using var a = tape.Attention(q, k, v, input.Start, c.NumAttentionHeads, c.HeadDim); // (B·T, NH·HS)
        using var o = OProj.Forward(tape, a, Mix(seed, 3));                    // (B·T, C)
        using var x1 = tape.Add(x, o);                                         // (B·T, C)
        using var h2 = tape.RmsNorm(x1, PostAttentionLayerNorm, (float)c.RmsNormEps);
        using var g = GateProj.Forward(tape, h2, Mix(seed, 4));                // (B·T, FF)
        using var u = UpProj.Forward(tape, h2, Mix(seed, 5));                  // (B·T, FF)
        using var m = tape.SwiGlu(g, u);                                       // (B·T, FF)
        using var d = DownProj.Forward(tape, m, Mix(seed, 6));                 // (B·T, C)
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

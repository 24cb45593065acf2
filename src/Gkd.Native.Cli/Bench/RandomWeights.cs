using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;
using Gkd.Native.Training.Model;

namespace Gkd.Native.Cli.Bench;

/// <summary>
/// Random-weight models for timing, built on the device without a checkpoint: matrices in bf16 tiled from one
/// uploaded block of uniform ±0.02 values (like transformers' init scale), norm weights 1, biases 0.
/// </summary>
internal sealed class RandomWeights : IDisposable
{
    private const int BlockElements = 1 << 22;
    private readonly IBackend _b;
    private readonly Tensor _block;

    public RandomWeights(IBackend backend, int seed)
    {
        _b = backend;
        var rng = new Random(seed);
        var values = new float[BlockElements];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 0.04 - 0.02);
        _block = HostData.As(backend, values, DType.BF16, BlockElements);
    }

    public Qwen2Model Model(Qwen2Config config) =>
        Qwen2Model.FromWeights(config, _b, key => Make(Qwen2Model.ExpectedShape(config, key), key));

    private Tensor Make(Shape shape, string key)
    {
        if (shape.Rank == 1)
        {
            var v = _b.Allocate(shape, _b.ActivationDType);
            _b.Fill(v, key.EndsWith(".bias", StringComparison.Ordinal) ? 0f : 1f);
            return v;
        }
        var t = _b.Allocate(shape, DType.BF16);
        var n = checked((int)t.Numel);
        using var flat = t.View(n);
        for (var off = 0; off < n; off += BlockElements)
        {
            var len = Math.Min(BlockElements, n - off);
            using var dst = flat.Rows(off, len);
            using var src = _block.Rows(0, len);
            _b.Copy(dst, src);
        }
        return t;
    }

    public void Dispose() => _block.Dispose();
}

using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Model;

/// <summary>
/// The keys and values of every decoder layer for batched generation: per layer K, V (B, NKV, Tmax, HS) in the
/// activation dtype (after RoPE). Slots are shared by all rows: <see cref="Qwen2Model.Prefill"/> fills [0, T) from
/// the left-padded prompt and each <see cref="Qwen2Model.DecodeStep"/> one more, so row b's real tokens sit in
/// slots start_b … <see cref="Length"/> − 1.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    private Tensor? _start;

    /// <param name="capacity">Tmax: the prompt width plus the tokens that will be fed back (max_new_tokens − 1).</param>
    public KvCache(IBackend backend, Qwen2Config config, int batch, int capacity)
    {
        if (batch <= 0 || capacity <= 0) throw new ArgumentException($"a KV cache needs a positive batch and capacity, got {batch} × {capacity}");
        Batch = batch;
        Capacity = capacity;
        var shape = new Shape(batch, config.NumKeyValueHeads, capacity, config.HeadDim);
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        for (var i = 0; i < _keys.Length; i++)
        {
            _keys[i] = backend.Allocate(shape, backend.ActivationDType);   // (B, NKV, Tmax, HS)
            _values[i] = backend.Allocate(shape, backend.ActivationDType); // (B, NKV, Tmax, HS)
        }
    }

    public int Batch { get; }

    /// <summary>Tmax: slots per row.</summary>
    public int Capacity { get; }

    /// <summary>Slots filled so far (the same for every row).</summary>
    public int Length { get; private set; }

    public IReadOnlyList<Tensor> Keys => _keys;      // per layer (B, NKV, Tmax, HS)
    public IReadOnlyList<Tensor> Values => _values;  // per layer (B, NKV, Tmax, HS)

    /// <summary>(B) i32: each row's first real slot (its number of left pads), set by the prefill.</summary>
    public Tensor Start => _start ?? throw new InvalidOperationException("the KV cache is empty: run Qwen2Model.Prefill first");

    /// <summary>Starts over for a prompt batch: no slot filled yet, rows starting at input.Start.</summary>
    internal void Reset(ModelInput input)
    {
        if (input.Batch != Batch) throw new ArgumentException($"a KV cache for {Batch} rows cannot take a batch of {input.Batch}");
        if (input.Time > Capacity) throw new ArgumentException($"a prompt of {input.Time} tokens does not fit a KV cache of {Capacity} slots");
        _start?.Dispose();
        _start = input.Start.Share();
        Length = 0;
    }

    /// <summary>Marks the next slots filled; every layer has written them.</summary>
    internal void Advance(int slots)
    {
        if (_start is null) throw new InvalidOperationException("the KV cache is empty: run Qwen2Model.Prefill first");
        if (Length + slots > Capacity) throw new InvalidOperationException($"the KV cache is full ({Capacity} slots)");
        Length += slots;
    }

    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
        _start?.Dispose();
    }
}

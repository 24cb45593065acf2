using Gkd.Native.Core.Backends;
using Gkd.Native.Core.Tensors;

namespace Gkd.Native.Training.Model;

/// <summary>
/// A left-padded batch of token ids on a backend: ids and positions (B·T) i32, start (B) i32 = each row's first real
/// position. Positions follow transformers: cumsum(attention_mask) − 1 on real tokens, 1 on padding.
/// </summary>
public sealed class ModelInput : IDisposable
{
    private ModelInput(Tensor ids, Tensor positions, Tensor start, int batch, int time)
    {
        Ids = ids;
        Positions = positions;
        Start = start;
        Batch = batch;
        Time = time;
    }

    public Tensor Ids { get; }        // (B·T) i32
    public Tensor Positions { get; }  // (B·T) i32
    public Tensor Start { get; }      // (B) i32
    public int Batch { get; }
    public int Time { get; }
    public int Rows => Batch * Time;

    /// <param name="ids">(B·T) row-major token ids; padding positions may hold any valid id.</param>
    /// <param name="start">(B) number of left pads of each row.</param>
    public static ModelInput Create(IBackend backend, ReadOnlySpan<int> ids, ReadOnlySpan<int> start, int time)
    {
        var batch = start.Length;
        if (ids.Length != batch * time) throw new ArgumentException($"{ids.Length} ids for a batch of {batch} × {time}");
        var positions = new int[ids.Length];
        for (var b = 0; b < batch; b++)
        {
            if (start[b] < 0 || start[b] > time) throw new ArgumentException($"row {b}: start {start[b]} outside [0, {time}]");
            for (var t = 0; t < time; t++) positions[b * time + t] = t < start[b] ? 1 : t - start[b];
        }
        return new ModelInput(backend.FromArray(ids, ids.Length), backend.FromArray(positions, positions.Length),
            backend.FromArray(start, batch), batch, time);
    }

    public void Dispose()
    {
        Ids.Dispose();
        Positions.Dispose();
        Start.Dispose();
    }
}

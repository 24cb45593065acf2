using Gkd.Native.Core.Backends;

namespace Gkd.Native.Core.Tensors;

/// <summary>
/// A contiguous, row-major n-d array living on one backend. A tensor is a handle onto reference-counted storage:
/// <see cref="View"/>, <see cref="Rows"/> and <see cref="Share"/> make new handles onto the same memory, and
/// <see cref="Dispose"/> drops this handle's reference.
/// </summary>
public sealed class Tensor : IDisposable
{
    private bool _disposed;
    private readonly AutogradCell _cell;

    public Tensor(TensorStorage storage, long byteOffset, Shape shape, DType dtype)
    {
        if (byteOffset < 0 || byteOffset + shape.Numel * dtype.Size() > storage.ByteLength)
            throw new ArgumentException($"tensor {shape} {dtype} at byte {byteOffset} overruns storage of {storage.ByteLength} bytes");
        Storage = storage;
        ByteOffset = byteOffset;
        Shape = shape;
        DType = dtype;
        _cell = new AutogradCell();
    }

    private Tensor(Tensor of) : this(of.Storage, of.ByteOffset, of.Shape, of.DType)
    {
        _cell = of._cell;
        _cell.Handles++;
        Name = of.Name;
    }

    public TensorStorage Storage { get; }
    public long ByteOffset { get; }
    public Shape Shape { get; }
    public DType DType { get; }
    public IBackend Backend => Storage.Backend;
    public long Numel => Shape.Numel;
    public long ByteLength => Numel * DType.Size();

    /// <summary>Optional name for messages (parameter key, activation name).</summary>
    public string? Name { get; set; }

    /// <summary>Whether gradients flow to this tensor. Set on leaves (parameters); ops propagate it to outputs.</summary>
    public bool RequiresGrad { get => _cell.RequiresGrad; set => _cell.RequiresGrad = value; }

    /// <summary>True for tensors that no recorded op produced (parameters, inputs); their gradient persists across backward passes.</summary>
    public bool IsLeaf { get => _cell.IsLeaf; internal set => _cell.IsLeaf = value; }

    /// <summary>The accumulated gradient (same shape, activation dtype), shared by every <see cref="Share"/>d handle.</summary>
    public Tensor? Grad { get => _cell.Grad; set => _cell.Grad = value; }

    public bool IsDisposed => _disposed;

    /// <summary>Same memory, another shape with the same element count.</summary>
    public Tensor View(params ReadOnlySpan<int> dims)
    {
        var shape = new Shape(dims);
        if (shape.Numel != Numel) throw new ArgumentException($"cannot view {Shape} as {shape}");
        return Alias(ByteOffset, shape);
    }

    /// <summary>Rows [start, start+count) along axis 0.</summary>
    public Tensor Rows(long start, int count)
    {
        if (Shape.Rank == 0 || start < 0 || start + count > Shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {start + count}) of {Shape}");
        var dims = Shape.Dims.ToArray();
        var rowBytes = Numel / Math.Max(dims[0], 1) * DType.Size();
        dims[0] = count;
        return Alias(ByteOffset + start * rowBytes, new Shape(dims));
    }

    /// <summary>
    /// A second handle onto this same tensor: one more storage reference, and the same gradient and autograd
    /// identity (the tape retains what backward needs this way).
    /// </summary>
    public Tensor Share()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Storage.AddRef();
        return new Tensor(this);
    }

    /// <summary>A handle onto part of this memory with its own autograd identity (no gradient flows through it).</summary>
    private Tensor Alias(long byteOffset, Shape shape)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Storage.AddRef();
        return new Tensor(Storage, byteOffset, shape, DType) { Name = Name };
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // A leaf's gradient goes with its last handle; a recorded op's output gradient is freed by the tape once its
        // producer has consumed it (a consumer's saved handle may be the last one and must not take it along).
        if (--_cell.Handles == 0 && _cell.IsLeaf)
        {
            _cell.Grad?.Dispose();
            _cell.Grad = null;
        }
        Storage.Release();
    }

    /// <summary>Autograd state shared by all handles of one logical tensor.</summary>
    private sealed class AutogradCell
    {
        public int Handles = 1;
        public bool RequiresGrad;
        public bool IsLeaf = true;
        public Tensor? Grad;
    }

    public override string ToString() => $"{Name ?? "tensor"}{Shape} {DType} on {Backend.Name}";
}

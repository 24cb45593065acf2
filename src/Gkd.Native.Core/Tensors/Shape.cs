namespace Gkd.Native.Core.Tensors;

/// <summary>An immutable row-major shape. Tensors are always contiguous.</summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly int[]? _dims;

    public Shape(params ReadOnlySpan<int> dims)
    {
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"negative dimension in shape ({string.Join(", ", dims.ToArray())})");
        _dims = dims.ToArray();
    }

    public int Rank => _dims?.Length ?? 0;
    public int this[int axis] => Dims[axis < 0 ? Rank + axis : axis];
    public ReadOnlySpan<int> Dims => _dims ?? [];

    /// <summary>Total element count.</summary>
    public long Numel
    {
        get
        {
            long n = 1;
            foreach (var d in Dims) n *= d;
            return n;
        }
    }

    /// <summary>Size of the last axis (1 for a scalar).</summary>
    public int Cols => Rank == 0 ? 1 : this[-1];

    /// <summary>Product of all but the last axis: the row count of the 2-D view.</summary>
    public long Rows
    {
        get
        {
            long n = 1;
            for (var i = 0; i < Rank - 1; i++) n *= Dims[i];
            return n;
        }
    }

    /// <summary>This shape with the last axis replaced: (…, C) → (…, cols).</summary>
    public Shape WithCols(int cols)
    {
        var dims = Dims.ToArray();
        if (dims.Length == 0) return new Shape(cols);
        dims[^1] = cols;
        return new Shape(dims);
    }

    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dims) h.Add(d);
        return h.ToHashCode();
    }

    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);
    public override string ToString() => "(" + string.Join(", ", Dims.ToArray()) + ")";
}

namespace Gkd.Native.Cuda.Runtime;

/// <summary>A launch grid or block shape, as CUDA's dim3.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    public ulong Count => (ulong)X * Y * Z;
    public override string ToString() => $"({X}, {Y}, {Z})";
}

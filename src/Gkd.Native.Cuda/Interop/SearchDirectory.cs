namespace Gkd.Native.Cuda.Interop;

/// <summary>One directory library discovery looks in, and why ("$CUDA_PATH/lib64", "pip", …).</summary>
public sealed record SearchDirectory(string Path, string Origin)
{
    public override string ToString() => $"{Path} ({Origin})";
}

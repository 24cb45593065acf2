namespace Gkd.Native.Core.Tensors;

/// <summary>Element types a tensor can store. Floating types are computed in f32 on the CPU backend.</summary>
public enum DType : byte
{
    F32,
    BF16,
    F16,
    I32,
}

public static class DTypeInfo
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this DType dtype) => dtype switch
    {
        DType.F32 or DType.I32 => 4,
        DType.BF16 or DType.F16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    public static bool IsFloat(this DType dtype) => dtype != DType.I32;

    /// <summary>The dtype name used by safetensors headers and config.json ("F32", "BF16", …).</summary>
    public static string SafetensorsName(this DType dtype) => dtype switch
    {
        DType.F32 => "F32",
        DType.BF16 => "BF16",
        DType.F16 => "F16",
        DType.I32 => "I32",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    public static bool TryParseSafetensors(string name, out DType dtype)
    {
        switch (name)
        {
            case "F32": dtype = DType.F32; return true;
            case "BF16": dtype = DType.BF16; return true;
            case "F16": dtype = DType.F16; return true;
            case "I32": dtype = DType.I32; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>Maps config.json's torch_dtype ("bfloat16", "float32", "float16").</summary>
    public static bool TryParseTorch(string name, out DType dtype)
    {
        switch (name)
        {
            case "float32" or "float": dtype = DType.F32; return true;
            case "bfloat16": dtype = DType.BF16; return true;
            case "float16" or "half": dtype = DType.F16; return true;
            case "int32": dtype = DType.I32; return true;
            default: dtype = default; return false;
        }
    }
}

namespace Gkd.Native.Core.Tensors;

/// <summary>bf16 stored as raw 16-bit patterns; conversion rounds to nearest even like PyTorch.</summary>
public static class BFloat16Bits
{
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    public static ushort FromSingle(float value)
    {
        var u = (uint)BitConverter.SingleToInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((u >> 16) | 0x40);
        u += 0x7FFF + ((u >> 16) & 1);
        return (ushort)(u >> 16);
    }
}

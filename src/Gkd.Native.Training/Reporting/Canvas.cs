namespace Gkd.Native.Training.Reporting;

/// <summary>An RGB raster with the few drawing operations charts need.</summary>
public sealed class Canvas
{
    private readonly byte[] _rgb;

    public Canvas(int width, int height, Rgb background)
    {
        Width = width;
        Height = height;
        _rgb = new byte[width * height * 3];
        FillRect(0, 0, width, height, background);
    }

    public int Width { get; }
    public int Height { get; }

    public void SetPixel(int x, int y, Rgb c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        var i = (y * Width + x) * 3;
        (_rgb[i], _rgb[i + 1], _rgb[i + 2]) = (c.R, c.G, c.B);
    }

    public void FillRect(int x, int y, int w, int h, Rgb c)
    {
        for (var j = y; j < y + h; j++)
            for (var i = x; i < x + w; i++) SetPixel(i, j, c);
    }

    /// <summary>A line of the given thickness (Bresenham, with a square brush).</summary>
    public void Line(int x0, int y0, int x1, int y1, Rgb c, int thickness = 1)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
        var half = (thickness - 1) / 2;
        while (true)
        {
            FillRect(x0 - half, y0 - half, thickness, thickness, c);
            if (x0 == x1 && y0 == y1) return;
            var e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    /// <summary>Text in the 5×7 font at pixel scale; (x, y) is the top-left corner. Returns the width drawn.</summary>
    public int Text(int x, int y, string text, Rgb c, int scale = 1)
    {
        var cx = x;
        foreach (var ch in text)
        {
            var glyph = BitmapFont.Glyph(ch);
            for (var row = 0; row < BitmapFont.Height; row++)
                for (var col = 0; col < BitmapFont.Width; col++)
                    if ((glyph[row] & (1 << (BitmapFont.Width - 1 - col))) != 0)
                        FillRect(cx + col * scale, y + row * scale, scale, scale, c);
            cx += (BitmapFont.Width + 1) * scale;
        }
        return cx - x;
    }

    public static int TextWidth(string text, int scale = 1) => text.Length * (BitmapFont.Width + 1) * scale;

    public byte[] ToPng() => Png.Encode(Width, Height, _rgb);
}

/// <summary>An 8-bit RGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B);

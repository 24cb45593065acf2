using System.Globalization;

namespace Gkd.Native.Training.Reporting;

/// <summary>One curve: (x, y) points in drawing order.</summary>
public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points, Rgb Color);

/// <summary>One plot: a title, an x-axis label and its curves.</summary>
public sealed record Panel(string Title, string XLabel, IReadOnlyList<Series> Series);

/// <summary>Panels side by side in one PNG: axes with "nice" ticks, curves, a legend per panel.</summary>
public static class LineChart
{
    private static readonly Rgb White = new(255, 255, 255);
    private static readonly Rgb Ink = new(40, 40, 40);
    private static readonly Rgb Grid = new(225, 225, 225);

    /// <summary>Common curve colours, in order.</summary>
    public static readonly Rgb[] Palette = [new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189)];

    public static byte[] RenderPng(IReadOnlyList<Panel> panels, int panelWidth = 520, int height = 340)
    {
        var canvas = new Canvas(panelWidth * Math.Max(1, panels.Count), height, White);
        for (var i = 0; i < panels.Count; i++) Draw(canvas, panels[i], i * panelWidth, panelWidth, height);
        return canvas.ToPng();
    }

    private static void Draw(Canvas c, Panel panel, int left, int width, int height)
    {
        const int scale = 2;
        int x0 = left + 70, x1 = left + width - 20, y0 = 40, y1 = height - 50;
        c.Text(left + (width - Canvas.TextWidth(panel.Title, scale)) / 2, 12, panel.Title, Ink, scale);
        c.Text((x0 + x1 - Canvas.TextWidth(panel.XLabel)) / 2, height - 18, panel.XLabel, Ink);

        var points = panel.Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray();
        if (points.Length == 0)
        {
            c.Text(x0 + 10, (y0 + y1) / 2, "no data", Ink);
            return;
        }
        var (xTicks, xMin, xMax) = Ticks(points.Min(p => p.X), points.Max(p => p.X));
        var (yTicks, yMin, yMax) = Ticks(points.Min(p => p.Y), points.Max(p => p.Y));
        int Px(double x) => x0 + (int)Math.Round((x - xMin) / (xMax - xMin) * (x1 - x0));
        int Py(double y) => y1 - (int)Math.Round((y - yMin) / (yMax - yMin) * (y1 - y0));

        foreach (var t in yTicks)
        {
            c.Line(x0, Py(t), x1, Py(t), Grid);
            var label = Label(t);
            c.Text(x0 - 6 - Canvas.TextWidth(label), Py(t) - 3, label, Ink);
        }
        foreach (var t in xTicks)
        {
            c.Line(Px(t), y0, Px(t), y1, Grid);
            var label = Label(t);
            c.Text(Px(t) - Canvas.TextWidth(label) / 2, y1 + 6, label, Ink);
        }
        c.Line(x0, y1, x1, y1, Ink);
        c.Line(x0, y0, x0, y1, Ink);

        var legendY = y0 + 4;
        foreach (var s in panel.Series)
        {
            var pts = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray();
            for (var i = 1; i < pts.Length; i++) c.Line(Px(pts[i - 1].X), Py(pts[i - 1].Y), Px(pts[i].X), Py(pts[i].Y), s.Color, 2);
            if (pts.Length == 1) c.FillRect(Px(pts[0].X) - 2, Py(pts[0].Y) - 2, 5, 5, s.Color);
            var w = Canvas.TextWidth(s.Name);
            c.FillRect(x1 - w - 22, legendY + 2, 12, 3, s.Color);
            c.Text(x1 - w - 6, legendY, s.Name, Ink);
            legendY += 12;
        }
    }

    /// <summary>About five round tick values covering [lo, hi], and the axis range they span.</summary>
    private static (double[] Ticks, double Min, double Max) Ticks(double lo, double hi)
    {
        if (hi - lo < 1e-12 * Math.Max(1, Math.Abs(hi)))
        {
            var pad = Math.Max(Math.Abs(hi) * 0.1, 1e-3);
            (lo, hi) = (lo - pad, hi + pad);
        }
        var raw = (hi - lo) / 5;
        var mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(f => f * mag).First(s => s >= raw);
        var min = Math.Floor(lo / step) * step;
        var max = Math.Ceiling(hi / step) * step;
        var ticks = new List<double>();
        for (var t = min; t <= max + step * 1e-9; t += step) ticks.Add(Math.Round(t / step) * step);
        return (ticks.ToArray(), min, max);
    }

    private static string Label(double v) =>
        Math.Abs(v) >= 1e4 || (Math.Abs(v) < 1e-3 && v != 0)
            ? v.ToString("0.#E+0", CultureInfo.InvariantCulture)
            : v.ToString("0.####", CultureInfo.InvariantCulture);
}

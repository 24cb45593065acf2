using System.Diagnostics;

namespace Gkd.Native.Training.Progress;

/// <summary>
/// Progress of a long loop: steps done of total, tokens/s, elapsed and ETA. On a terminal it redraws one bar line;
/// otherwise (logs, CI) it prints a plain line at most every <see cref="PlainInterval"/>, and always the last one.
/// </summary>
public sealed class ProgressReporter
{
    private readonly TextWriter _out;
    private readonly string _label;
    private readonly int _total;
    private readonly bool _terminal;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _lastPrint;
    private int _done;
    private long _tokens;

    public ProgressReporter(TextWriter output, string label, int totalSteps, bool? terminal = null)
    {
        _out = output;
        _label = label;
        _total = totalSteps;
        _terminal = terminal ?? (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
    }

    public static TimeSpan PlainInterval { get; } = TimeSpan.FromSeconds(10);

    /// <summary>One step done that processed <paramref name="tokens"/> tokens; note is appended to the line.</summary>
    public void Advance(long tokens, string note = "")
    {
        _done++;
        _tokens += tokens;
        var now = _clock.Elapsed;
        if (!_terminal && _done < _total && _lastPrint is { } last && now - last < PlainInterval) return;
        _lastPrint = now;
        Print(note);
    }

    /// <summary>Ends the bar line on a terminal.</summary>
    public void Finish()
    {
        if (_terminal) _out.WriteLine();
    }

    private void Print(string note)
    {
        var elapsed = _clock.Elapsed.TotalSeconds;
        var rate = elapsed > 0 ? _tokens / elapsed : 0;
        var eta = _done > 0 && _total > _done ? TimeSpan.FromSeconds(elapsed / _done * (_total - _done)) : TimeSpan.Zero;
        var text = $"{_label} {_done}/{_total} | {rate:F0} tok/s | {Format(TimeSpan.FromSeconds(elapsed))} elapsed, ETA {Format(eta)}" +
                   (note.Length > 0 ? " | " + note : "");
        if (_terminal)
        {
            const int width = 24;
            var filled = _total == 0 ? width : width * _done / _total;
            _out.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {text}   ");
        }
        else
        {
            _out.WriteLine(text);
        }
        _out.Flush();
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : $"{t.Minutes}m{t.Seconds:D2}s";
}

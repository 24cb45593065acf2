using System.Diagnostics;

namespace Gkd.Native.Tests.Trainer;

/// <summary>
/// `gkd` as a child process (dotnet gkd.dll from the test's own output directory), for what only a real process
/// shows: POSIX signals and the exit code they produce. stdout and stderr are collected line by line.
/// </summary>
internal sealed class GkdProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Lock _lock = new();

    private GkdProcess(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gkd.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static GkdProcess Start(params string[] args) => new(args);

    public int Id => _process.Id;

    /// <summary>Everything printed so far, stdout and stderr interleaved as they arrived.</summary>
    public string Output
    {
        get
        {
            lock (_lock) return string.Join('\n', _lines);
        }
    }

    /// <summary>Waits until a printed line satisfies match; fails the test on timeout or when the process ends first.</summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            lock (_lock)
            {
                if (_lines.FirstOrDefault(match) is { } line) return line;
            }
            if (_process.HasExited) Assert.Fail($"gkd exited ({_process.ExitCode}) before {what}:\n{Output}");
            Thread.Sleep(20);
        }
        Assert.Fail($"no {what} within {timeout.TotalSeconds} s:\n{Output}");
        return "";
    }

    /// <summary>Sends a signal (INT, TERM) with kill(1).</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.That(kill.ExitCode, Is.EqualTo(0), $"kill -{name} {Id}");
    }

    /// <summary>The exit code; fails the test when the process is still running after timeout.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) Assert.Fail($"gkd still running after {timeout.TotalSeconds} s:\n{Output}");
        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_lock) _lines.Add(line);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}

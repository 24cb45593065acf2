using System.Runtime.InteropServices;

namespace Gkd.Native.Cli.Commands;

/// <summary>
/// SIGINT/SIGTERM during training: the first asks the trainer to stop after the current step (it saves a
/// checkpoint); a second exits at once — checkpoints are written to a temporary directory and renamed, so the last
/// complete one is never corrupted. The exit code is 128 + the signal number (130, 143).
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly TextWriter _log;
    private int _signals;

    public StopSignals(TextWriter log)
    {
        _log = log;
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
    }

    public CancellationToken Token => _cts.Token;

    /// <summary>128 + the number of the signal that stopped the run.</summary>
    public int ExitCode { get; private set; } = 130;

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _signals) > 1) // not IsCancellationRequested: two handlers may run at once
        {
            _log.WriteLine($"{context.Signal} again: exiting now (the last checkpoint is intact)");
            _log.Flush();
            Environment.Exit(ExitCode);
        }
        ExitCode = context.Signal == PosixSignal.SIGTERM ? 143 : 130;
        _log.WriteLine($"{context.Signal}: finishing the current step, then saving a checkpoint (send it again to exit at once)");
        _cts.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}

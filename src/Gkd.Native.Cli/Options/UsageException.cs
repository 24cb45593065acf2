namespace Gkd.Native.Cli.Options;

/// <summary>
/// A mistake in how gkd was called: an unknown verb or flag, a bad value, a missing required option, an unreadable
/// config file. The message is complete and meant for the user; the entry point prints it and exits with code 2.
/// </summary>
public sealed class UsageException(string message) : Exception(message);

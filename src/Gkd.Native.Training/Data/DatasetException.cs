namespace Gkd.Native.Training.Data;

/// <summary>A dataset that cannot be loaded or collated; the message names the file and the line or row.</summary>
public sealed class DatasetException(string message, Exception? inner = null) : Exception(message, inner);

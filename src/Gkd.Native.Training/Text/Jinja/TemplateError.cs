namespace Gkd.Native.Training.Text.Jinja;

/// <summary>
/// A runtime failure raised by a value operation, filter, test or function, which does not know where it is; the
/// interpreter turns it into a <see cref="JinjaException"/> at the innermost expression being evaluated.
/// </summary>
internal sealed class TemplateError(string message) : Exception(message);

namespace Gkd.Native.Training.Text;

/// <summary>One turn of a conversation: role is "system", "user" or "assistant" (as chat templates expect).</summary>
public sealed record ChatMessage(string Role, string Content);

using Gkd.Native.Training.Text;

namespace Gkd.Native.Training.Data;

/// <summary>
/// One dataset row in the one shape every format is normalised to: the prompt turns and the completion turns of a
/// conversation (TRL's conversational prompt/completion).
/// </summary>
public sealed record ChatExample(RowOrigin Origin, IReadOnlyList<ChatMessage> Prompt, IReadOnlyList<ChatMessage> Completion)
{
    /// <summary>
    /// A whole conversation (a <c>messages</c> or ShareGPT row) split as TRL's GKD collator does: the last message is
    /// the completion and must be the assistant's; everything before it is the prompt.
    /// </summary>
    public static ChatExample FromConversation(RowOrigin origin, IReadOnlyList<ChatMessage> messages)
    {
        if (messages.Count == 0 || messages[^1].Role != "assistant")
        {
            var last = messages.Count == 0 ? "the conversation is empty" : $"the last is \"{messages[^1].Role}\"";
            throw new DatasetException($"{origin}: no assistant message at the end ({last})");
        }
        return new ChatExample(origin, messages.Take(messages.Count - 1).ToArray(), [messages[^1]]);
    }
}

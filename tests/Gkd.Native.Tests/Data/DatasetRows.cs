using System.Text.Json.Serialization;

namespace Gkd.Native.Tests.Data;

/// <summary>Row shapes of the supported formats, written with the column names the Hub uses.</summary>
public sealed class Message
{
    [JsonPropertyName("role")] public string? Role { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }
}

public sealed class ShareGptTurn
{
    [JsonPropertyName("from")] public string? From { get; set; }
    [JsonPropertyName("value")] public string? Value { get; set; }
}

public sealed class MessagesRow
{
    [JsonPropertyName("messages")] public List<Message>? Messages { get; set; }
}

public sealed class PromptCompletionRow
{
    [JsonPropertyName("prompt")] public List<Message>? Prompt { get; set; }
    [JsonPropertyName("completion")] public List<Message>? Completion { get; set; }
}

public sealed class ShareGptRow
{
    [JsonPropertyName("id")] public string? Id { get; set; }
    [JsonPropertyName("conversations")] public List<ShareGptTurn>? Conversations { get; set; }
}

public sealed class TextRow
{
    [JsonPropertyName("text")] public string? Text { get; set; }
}

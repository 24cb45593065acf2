using System.Text.Json;
using System.Text.Json.Nodes;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Training.Data;

/// <summary>
/// Recognises a row's format and normalises it to a <see cref="ChatExample"/>. Formats, tried in this order:
/// conversational <c>messages</c> [{role, content}]; conversational <c>prompt</c> + <c>completion</c>, each a list of
/// messages (trl-lib/chatbot_arena_completions); ShareGPT <c>conversations</c> [{from, value}]. A JSON null counts as
/// an absent column, so parquet files whose schema carries several formats' columns work row by row.
/// </summary>
internal static class ChatRowParser
{
    private const string KnownFormats =
        "\"messages\" [{role, content}], \"prompt\" + \"completion\" (each a list of {role, content}) " +
        "or ShareGPT \"conversations\" [{from, value}]";

    public static ChatExample Parse(JsonObject row, RowOrigin origin)
    {
        if (row["messages"] is { } messages)
            return ChatExample.FromConversation(origin, ReadMessages(messages, "messages", "role", "content", null, origin));
        if (row["prompt"] is { } prompt && row["completion"] is { } completion)
        {
            var promptMessages = ReadMessages(prompt, "prompt", "role", "content", null, origin);
            var completionMessages = ReadMessages(completion, "completion", "role", "content", null, origin);
            if (completionMessages.Count == 0) throw new DatasetException($"{origin}: \"completion\" is an empty list");
            return new ChatExample(origin, promptMessages, completionMessages);
        }
        if (row["conversations"] is { } conversations)
            return ChatExample.FromConversation(
                origin, ReadMessages(conversations, "conversations", "from", "value", ShareGptRole, origin));

        var columns = string.Join(", ", row.Where(p => p.Value is not null).Select(p => $"\"{p.Key}\""));
        throw new DatasetException(
            $"{origin}: the row has none of the known formats; expected {KnownFormats}; found columns: " +
            (columns.Length == 0 ? "none" : columns));
    }

    /// <summary>The list in column <paramref name="column"/>; roleMap, when given, maps the raw role (ShareGPT).</summary>
    private static List<ChatMessage> ReadMessages(
        JsonNode node, string column, string roleKey, string contentKey, Func<string, string?>? roleMap, RowOrigin origin)
    {
        if (node is not JsonArray list)
            throw new DatasetException(
                $"{origin}: \"{column}\" must be a list of {{{roleKey}, {contentKey}}} messages, found {Kind(node)}");

        var messages = new List<ChatMessage>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var where = $"{origin}: {column}[{i}]";
            if (list[i] is not JsonObject message)
                throw new DatasetException($"{where} must be an object {{{roleKey}, {contentKey}}}, found {Kind(list[i])}");
            var role = StringField(message, roleKey, where, contentKey);
            var content = StringField(message, contentKey, where, roleKey);
            if (roleMap is not null)
                role = roleMap(role) ?? throw new DatasetException(
                    $"{where} has unknown ShareGPT \"{roleKey}\" \"{role}\"; expected human, user, gpt, assistant, model or system");
            messages.Add(new ChatMessage(role, content));
        }
        return messages;
    }

    private static string StringField(JsonObject message, string key, string where, string otherKey)
    {
        var value = message[key];
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        var found = value is null ? "it is missing" : $"found {Kind(value)}";
        throw new DatasetException($"{where} has no string \"{key}\" (a message needs \"{key}\" and \"{otherKey}\"; {found})");
    }

    private static string? ShareGptRole(string from) => from switch
    {
        "human" or "user" => "user",
        "gpt" or "assistant" or "model" => "assistant",
        "system" => "system",
        _ => null,
    };

    internal static string Kind(JsonNode? node) => node is null ? "null" : node.GetValueKind() switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}

using System.Text.Json;
using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Tests.Text;

/// <summary>The shared chat data: 500 Chatbot Arena prompts and 500 ShareGPT conversations, read in place.</summary>
public static class ChatData
{
    /// <summary>Every turn of every arena-hard v0.1 question.</summary>
    public static IReadOnlyList<string> ArenaPrompts() =>
        File.ReadLines(TestPaths.SharedData("chat", "arena-hard-v0.1-question.jsonl"))
            .Where(line => line.Length > 0)
            .SelectMany(line =>
            {
                using var doc = JsonDocument.Parse(line);
                return doc.RootElement.GetProperty("turns").EnumerateArray().Select(t => t.GetProperty("content").GetString()!).ToList();
            })
            .ToList();

    /// <summary>The ShareGPT conversations with FastChat's roles mapped: human → user, gpt → assistant.</summary>
    public static IReadOnlyList<IReadOnlyList<ChatMessage>> ShareGptConversations()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestPaths.SharedData("chat", "fastchat_dummy_conversation.json")));
        return doc.RootElement.EnumerateArray()
            .Select(c => (IReadOnlyList<ChatMessage>)c.GetProperty("conversations").EnumerateArray()
                .Select(m => new ChatMessage(
                    m.GetProperty("from").GetString() switch
                    {
                        "human" => "user",
                        "gpt" => "assistant",
                        var other => other!,
                    },
                    m.GetProperty("value").GetString()!))
                .ToList())
            .ToList();
    }
}

using Gkd.Native.Training.Data;
using Gkd.Native.Training.Text;
using NUnit.Framework;
using static Gkd.Native.Tests.Data.ByteChatTokenizer;

namespace Gkd.Native.Tests.Data;

public sealed class ChatCollatorTests
{
    private const int Ignore = ChatBatch.IgnoreIndex;
    private static readonly RowOrigin Origin = new("train.jsonl", RowLocator.Line, 7);
    private static readonly int[] GenerationPrompt = [ImStart, .. Bytes("assistant\n")];

    [Test]
    public void SingleTurnSplitsAtTheGenerationPrompt()
    {
        var example = new ChatExample(Origin, [new("user", "Hi")], [new("assistant", "Hello!")]);

        var row = new ChatCollator(new ByteChatTokenizer(), maxLength: null).Tokenize(example);

        Assert.That(row.PromptIds, Is.EqualTo(Concat(Turn("user", "Hi"), GenerationPrompt)));
        Assert.That(row.CompletionIds, Is.EqualTo(Completion("Hello!")));
    }

    [Test]
    public void MultiTurnWithSystemTrainsOnlyOnTheLastAssistantTurn()
    {
        var example = ChatExample.FromConversation(Origin,
            [new("system", "Be brief."), new("user", "Hi"), new("assistant", "Hello!"), new("user", "Bye"), new("assistant", "Bye!")]);
        var collator = new ChatCollator(new ByteChatTokenizer(), maxLength: null);

        var row = collator.Tokenize(example);
        var batch = collator.Collate([row]);

        var prompt = Concat(Turn("system", "Be brief."), Turn("user", "Hi"), Turn("assistant", "Hello!"), Turn("user", "Bye"), GenerationPrompt);
        Assert.That(row.PromptIds, Is.EqualTo(prompt));
        Assert.That(row.CompletionIds, Is.EqualTo(Completion("Bye!")));
        Assert.That(batch.InputIds, Is.EqualTo(Concat(prompt, Completion("Bye!"))));
        Assert.That(batch.Labels, Is.EqualTo(Concat(Enumerable.Repeat(Ignore, prompt.Length).ToArray(), Completion("Bye!"))));
        Assert.That(batch.CompletionTokenCount, Is.EqualTo(Completion("Bye!").Length));
    }

    [Test]
    public void TruncationKeepsTheLastMaxLengthTokens()
    {
        var example = new ChatExample(Origin, [new("system", "S"), new("user", "Hi")], [new("assistant", "Hello!")]);
        var full = Concat(Turn("system", "S"), Turn("user", "Hi"), GenerationPrompt, Completion("Hello!"));
        var maxLength = Completion("Hello!").Length + 5;

        var row = new ChatCollator(new ByteChatTokenizer(), maxLength).Tokenize(example);

        Assert.That(row.PromptIds, Is.EqualTo(full[^maxLength..^Completion("Hello!").Length]));
        Assert.That(row.CompletionIds, Is.EqualTo(Completion("Hello!")));
        Assert.That(Concat(row.PromptIds, row.CompletionIds), Is.EqualTo(full[^maxLength..]));
    }

    [Test]
    public void SequenceOfExactlyMaxLengthIsKept()
    {
        var example = new ChatExample(Origin, [new("user", "Hi")], [new("assistant", "Hello!")]);
        var length = Turn("user", "Hi").Length + GenerationPrompt.Length + Completion("Hello!").Length;

        var row = new ChatCollator(new ByteChatTokenizer(), length).Tokenize(example);

        Assert.That(row.Length, Is.EqualTo(length));
        Assert.That(row.PromptIds, Is.EqualTo(Concat(Turn("user", "Hi"), GenerationPrompt)));
    }

    [Test]
    public void PromptEntirelyTruncatedIsAnError()
    {
        var example = new ChatExample(Origin, [new("user", "Hi")], [new("assistant", "Hello!")]);
        var prompt = Turn("user", "Hi").Length + GenerationPrompt.Length;
        var completion = Completion("Hello!").Length;
        var collator = new ChatCollator(new ByteChatTokenizer(), completion);

        var error = Assert.Throws<DatasetException>(() => collator.Tokenize(example))!;

        Assert.That(error.Message, Is.EqualTo(
            $"train.jsonl line 7: prompt entirely truncated: prompt {prompt} + completion {completion} tokens > max_length {completion}"));
    }

    [Test]
    public void BatchIsLeftPadded()
    {
        var collator = new ChatCollator(new ByteChatTokenizer(), maxLength: null);
        const int P = EndOfText;

        var batch = collator.Collate([new(Origin, [1, 2], [3]), new(Origin, [4, 5, 6, 7], [8, 9])]);

        Assert.That((batch.B, batch.T, batch.PromptT), Is.EqualTo((2, 6, 4)));
        Assert.That(batch.InputIds, Is.EqualTo(new[] { P, P, P, 1, 2, 3, /**/ 4, 5, 6, 7, 8, 9 }));
        Assert.That(batch.AttentionMask, Is.EqualTo(new[] { 0, 0, 0, 1, 1, 1, /**/ 1, 1, 1, 1, 1, 1 }));
        Assert.That(batch.Labels, Is.EqualTo(new[] { Ignore, Ignore, Ignore, Ignore, Ignore, 3, /**/ Ignore, Ignore, Ignore, Ignore, 8, 9 }));
        Assert.That(batch.Start, Is.EqualTo(new[] { 3, 0 }));
        Assert.That(batch.PromptIds, Is.EqualTo(new[] { P, P, 1, 2, /**/ 4, 5, 6, 7 }));
        Assert.That(batch.PromptStart, Is.EqualTo(new[] { 2, 0 }));
        Assert.That(batch.PromptLength, Is.EqualTo(new[] { 2, 4 }));
        Assert.That(batch.CompletionTokenCount, Is.EqualTo(3));
    }

    [Test]
    public void CompletionTokenCountSkipsPositionZero()
    {
        var collator = new ChatCollator(new ByteChatTokenizer(), maxLength: null);

        var batch = collator.Collate([new(Origin, [], [5, 6]), new(Origin, [1], [2])]);

        Assert.That(batch.Labels, Is.EqualTo(new[] { 5, 6, /**/ Ignore, 2 }));
        Assert.That(batch.CompletionTokenCount, Is.EqualTo(2));
    }

    [Test]
    public void TokenBoundaryAcrossThePromptFallsBackToTheTextSplit()
    {
        var tokenizer = new ByteChatTokenizer(merges: new Dictionary<string, int> { ["\nHi"] = 300 });
        var example = new ChatExample(Origin, [new("user", "Yo")], [new("assistant", "Hi")]);
        var prompt = Concat(Turn("user", "Yo"), GenerationPrompt);
        var full = tokenizer.Encode(tokenizer.ApplyChatTemplate([.. example.Prompt, .. example.Completion], false));
        Assert.That(full.AsSpan().StartsWith(prompt), Is.False, "the merge must straddle the prompt boundary");

        var row = new ChatCollator(tokenizer, maxLength: null).Tokenize(example);

        Assert.That(row.PromptIds, Is.EqualTo(prompt));
        Assert.That(row.CompletionIds, Is.EqualTo(Completion("Hi")));
    }

    [Test]
    public void PromptTextThatIsNotAPrefixIsAnError()
    {
        var tokenizer = new ByteChatTokenizer(generationPrompt: "<|im_start|>assistant\n<think>\n\n</think>\n\n");
        var example = new ChatExample(Origin, [new("user", "Hi")], [new("assistant", "Hello!")]);

        var error = Assert.Throws<DatasetException>(() => new ChatCollator(tokenizer, maxLength: null).Tokenize(example))!;

        Assert.That(error.Message, Does.StartWith("train.jsonl line 7: the chat template's text for the prompt").And.Contain("not a prefix"));
    }

    [Test]
    public void PromptWithoutTokensIsAnError()
    {
        var example = new ChatExample(Origin, [], [new("assistant", "Hello!")]);

        var error = Assert.Throws<DatasetException>(
            () => new ChatCollator(new ByteChatTokenizer(generationPrompt: ""), maxLength: null).Tokenize(example))!;

        Assert.That(error.Message, Is.EqualTo("train.jsonl line 7: the prompt renders to no tokens"));
    }

    private static int[] Turn(string role, string content) => [ImStart, .. Bytes($"{role}\n{content}"), ImEnd, .. Bytes("\n")];

    private static int[] Completion(string content) => [.. Bytes(content), ImEnd, .. Bytes("\n")];

    private static int[] Concat(params int[][] parts) => [.. parts.SelectMany(p => p)];
}

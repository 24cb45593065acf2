using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Data;
using NUnit.Framework;
using static Gkd.Native.Tests.Data.DatasetFiles;

namespace Gkd.Native.Tests.Data;

/// <summary>Every load error names the file and the 1-based line (JSON lines) or 0-based row, and what was expected.</summary>
public sealed class DatasetErrorTests
{
    private const string Good = """{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}""";

    [Test]
    public void MalformedJsonLineNamesItsLine()
    {
        var file = Lines("train.jsonl", Good, "", """{"messages": [""");
        Assert.That(LoadError(file), Does.StartWith($"{file} line 3: malformed JSON line (expected one JSON object per line)"));
    }

    [Test]
    public void JsonLineThatIsNotAnObject()
    {
        var file = Lines("train.jsonl", "[1, 2]");
        Assert.That(LoadError(file), Is.EqualTo($"{file} line 1: expected a JSON object, found a list"));
    }

    [Test]
    public void MalformedJsonArrayNamesItsLine()
    {
        var file = WriteText(Path.Combine(TestPaths.TempDir("data-errors"), "train.json"), $"[\n{Good},\n{{\"messages\": ]\n]");
        Assert.That(LoadError(file), Does.StartWith($"{file}: malformed JSON array at line 3"));
    }

    [Test]
    public void JsonArrayRowOfNoKnownFormat()
    {
        var file = WriteText(Path.Combine(TestPaths.TempDir("data-errors"), "train.json"), $"[{Good}, {{\"text\": \"hi\", \"n\": null}}]");
        Assert.That(LoadError(file), Is.EqualTo(
            $"{file} row 1: the row has none of the known formats; expected \"messages\" [{{role, content}}], " +
            "\"prompt\" + \"completion\" (each a list of {role, content}) or ShareGPT \"conversations\" [{from, value}]; " +
            "found columns: \"text\""));
    }

    [Test]
    public void ParquetRowOfNoKnownFormat()
    {
        var file = WriteParquet(Path.Combine(TestPaths.TempDir("data-errors"), "train.parquet"),
            new[] { new TextRow { Text = "a" }, new TextRow { Text = "b" } });
        Assert.That(LoadError(file), Does.StartWith($"{file} row 0: the row has none of the known formats"));
    }

    [Test]
    public void ParquetRowErrorCountsRowsAcrossRowGroups()
    {
        var rows = Enumerable.Range(0, 5)
            .Select(i => new MessagesRow { Messages = [M("user", $"q{i}"), M(i == 3 ? "user" : "assistant", $"a{i}")] });
        var file = WriteParquet(Path.Combine(TestPaths.TempDir("data-errors"), "train.parquet"), rows, rowGroupSize: 2);
        Assert.That(LoadError(file), Is.EqualTo($"{file} row 3: no assistant message at the end (the last is \"user\")"));
    }

    [Test]
    public void MessageWithoutRole()
    {
        var file = Lines("train.jsonl", Good, """{"messages": [{"content": "Hi"}]}""");
        Assert.That(LoadError(file), Is.EqualTo(
            $"{file} line 2: messages[0] has no string \"role\" (a message needs \"role\" and \"content\"; it is missing)"));
    }

    [Test]
    public void MessageWithoutContent()
    {
        var file = Lines("train.jsonl", """{"prompt": [{"role": "user", "content": 3}], "completion": []}""");
        Assert.That(LoadError(file), Does.StartWith($"{file} line 1: prompt[0] has no string \"content\"").And.EndWith("found a number)"));
    }

    [Test]
    public void ShareGptTurnWithoutValue()
    {
        var file = Lines("train.jsonl", """{"conversations": [{"from": "human"}]}""");
        Assert.That(LoadError(file), Does.StartWith($"{file} line 1: conversations[0] has no string \"value\""));
    }

    [Test]
    public void UnknownShareGptFrom()
    {
        var file = Lines("train.jsonl", """{"conversations": [{"from": "human", "value": "Hi"}, {"from": "bot", "value": "Yo"}]}""");
        Assert.That(LoadError(file), Is.EqualTo(
            $"{file} line 1: conversations[1] has unknown ShareGPT \"from\" \"bot\"; " +
            "expected human, user, gpt, assistant, model or system"));
    }

    [Test]
    public void ConversationNotEndingWithTheAssistant()
    {
        var file = Lines("train.jsonl", Good, """{"messages": [{"role": "user", "content": "Hi"}]}""");
        Assert.That(LoadError(file), Is.EqualTo($"{file} line 2: no assistant message at the end (the last is \"user\")"));
    }

    [Test]
    public void EmptyConversation()
    {
        var file = Lines("train.jsonl", """{"messages": []}""");
        Assert.That(LoadError(file), Is.EqualTo($"{file} line 1: no assistant message at the end (the conversation is empty)"));
    }

    [Test]
    public void StandardPromptIsNotConversational()
    {
        var file = Lines("train.jsonl", """{"prompt": "Hi", "completion": "Hello"}""");
        Assert.That(LoadError(file), Is.EqualTo(
            $"{file} line 1: \"prompt\" must be a list of {{role, content}} messages, found a string"));
    }

    [Test]
    public void EmptyCompletionList()
    {
        var file = Lines("train.jsonl", """{"prompt": [{"role": "user", "content": "Hi"}], "completion": []}""");
        Assert.That(LoadError(file), Is.EqualTo($"{file} line 1: \"completion\" is an empty list"));
    }

    [Test]
    public void MissingSplitListsTheSplitsFound()
    {
        var dir = TestPaths.TempDir("data-errors");
        WriteText(Path.Combine(dir, "train.jsonl"), Good);
        WriteText(Path.Combine(dir, "data", "test-00000-of-00001.jsonl"), Good);
        Assert.That(LoadError(dir, "validation"), Is.EqualTo($"split \"validation\" not found in {dir}; splits found: test, train"));
    }

    [Test]
    public void SingleFileHasOnlyTheTrainSplit()
    {
        var file = Lines("rows.jsonl", Good);
        Assert.That(LoadError(file, "test"), Is.EqualTo($"split \"test\" not found: the single file {file} is the train split only"));
    }

    [Test]
    public void EmptyDataset()
    {
        var dir = TestPaths.TempDir("data-errors");
        var file = WriteText(Path.Combine(dir, "train.jsonl"), "\n\n");
        Assert.That(LoadError(dir), Is.EqualTo($"dataset {dir} split \"train\" is empty (files: {file})"));
    }

    [Test]
    public void DirectoryWithoutDataFiles()
    {
        var dir = TestPaths.TempDir("data-errors");
        WriteText(Path.Combine(dir, "README.md"), "# card");
        Assert.That(LoadError(dir), Does.StartWith($"{dir}: no dataset files"));
    }

    [Test]
    public void MissingPath()
    {
        var path = Path.Combine(TestPaths.TempDir("data-errors"), "nope");
        Assert.That(LoadError(path), Is.EqualTo($"dataset path not found: {path}"));
    }

    [Test]
    public void UnsupportedSingleFile()
    {
        var file = WriteText(Path.Combine(TestPaths.TempDir("data-errors"), "train.csv"), "a,b\n");
        Assert.That(LoadError(file), Is.EqualTo($"{file}: unsupported dataset file; expected .jsonl, .json, .parquet"));
    }

    [Test]
    public void FileThatIsNotParquet()
    {
        var file = WriteText(Path.Combine(TestPaths.TempDir("data-errors"), "train.parquet"), "not parquet at all");
        Assert.That(LoadError(file), Does.StartWith($"{file}: not a readable parquet file"));
    }

    private static string Lines(string name, params string[] lines) =>
        WriteText(Path.Combine(TestPaths.TempDir("data-errors"), name), string.Join("\n", lines) + "\n");

    private static string LoadError(string path, string split = "train") =>
        Assert.ThrowsAsync<DatasetException>(() => DatasetLoader.LoadAsync(path, split))!.Message;
}

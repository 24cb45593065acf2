using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Data;
using NUnit.Framework;
using Parquet;
using static Gkd.Native.Tests.Data.DatasetFiles;

namespace Gkd.Native.Tests.Data;

public sealed class DatasetLoaderTests
{
    private static readonly string[] Containers = ["jsonl", "json-array", "json-lines", "parquet"];
    private static readonly string[] Formats = ["messages", "prompt-completion", "sharegpt"];

    /// <summary>The two conversations every format fixture encodes, as "role:content" turns, prompt => completion.</summary>
    private static readonly string[] Expected =
    [
        "system:Be brief.|user:Hi|assistant:Hello!|user:Bye => assistant:Bye!",
        "user:2+2? => assistant:4",
    ];

    private static IEnumerable<TestCaseData> FormatsByContainers() =>
        from format in Formats from container in Containers select new TestCaseData(format, container);

    [TestCaseSource(nameof(FormatsByContainers))]
    public async Task EveryFormatLoadsFromEveryContainer(string format, string container)
    {
        var dir = TestPaths.TempDir("data-formats");
        var file = format switch
        {
            "messages" => Write(dir, container, MessagesRows()),
            "prompt-completion" => Write(dir, container, PromptCompletionRows()),
            _ => Write(dir, container, ShareGptRows()),
        };

        var dataset = await DatasetLoader.LoadAsync(dir);

        Assert.That(dataset.Examples.Select(Describe), Is.EqualTo(Expected));
        Assert.That(dataset.Files, Is.EqualTo(new[] { file }));
        var origins = container == "jsonl" || container == "json-lines"
            ? new[] { new RowOrigin(file, RowLocator.Line, 1), new RowOrigin(file, RowLocator.Line, 2) }
            : [new RowOrigin(file, RowLocator.Row, 0), new RowOrigin(file, RowLocator.Row, 1)];
        Assert.That(dataset.Examples.Select(e => e.Origin), Is.EqualTo(origins));
    }

    [Test]
    public async Task RootFilesAreSplitsByName()
    {
        var dir = TestPaths.TempDir("data-root-splits");
        WriteJsonLines(Path.Combine(dir, "train.jsonl"), MessagesRows());
        WriteJsonArray(Path.Combine(dir, "test.json"), ShareGptRows().Take(1));
        WriteText(Path.Combine(dir, "README.md"), "# not data");

        Assert.That(DatasetLayout.Splits(dir), Is.EqualTo(new[] { "test", "train" }));
        var test = await DatasetLoader.LoadAsync(dir, "test");
        Assert.That(test.Split, Is.EqualTo("test"));
        Assert.That(test.Examples.Select(Describe), Is.EqualTo(Expected.Take(1)));
    }

    [Test]
    public async Task DataShardsLoadInNameOrder()
    {
        var dir = TestPaths.TempDir("data-shards");
        var data = Path.Combine(dir, "data");
        var shard1 = WriteParquet(Path.Combine(data, "train-00001-of-00002.parquet"), PromptCompletionRows().Skip(1));
        var shard0 = WriteParquet(Path.Combine(data, "train-00000-of-00002.parquet"), PromptCompletionRows().Take(1));
        WriteJsonLines(Path.Combine(data, "test-00000-of-00001.jsonl"), MessagesRows().Take(1));

        Assert.That(DatasetLayout.Splits(dir), Is.EqualTo(new[] { "test", "train" }));
        var train = await DatasetLoader.LoadAsync(dir);
        Assert.That(train.Files, Is.EqualTo(new[] { shard0, shard1 }));
        Assert.That(train.Examples.Select(Describe), Is.EqualTo(Expected));
        Assert.That(train.Examples[1].Origin, Is.EqualTo(new RowOrigin(shard1, RowLocator.Row, 0)));
    }

    [Test]
    public async Task SingleFileIsTheTrainSplit()
    {
        var file = WriteJsonLines(Path.Combine(TestPaths.TempDir("data-single"), "conversations.jsonl"), ShareGptRows());

        Assert.That(DatasetLayout.Splits(file), Is.EqualTo(new[] { "train" }));
        var dataset = await DatasetLoader.LoadAsync(file);
        Assert.That(dataset.Split, Is.EqualTo("train"));
        Assert.That(dataset.Examples.Select(Describe), Is.EqualTo(Expected));
    }

    [Test]
    public async Task ParquetRowsAreCountedAcrossRowGroups()
    {
        var rows = Enumerable.Range(0, 5)
            .Select(i => new MessagesRow { Messages = [M("user", $"q{i}"), M("assistant", $"a{i}")] }).ToList();
        var file = WriteParquet(Path.Combine(TestPaths.TempDir("data-row-groups"), "train.parquet"), rows, rowGroupSize: 2);
        await using (var reader = await ParquetReader.CreateAsync(file))
            Assert.That(reader.RowGroupCount, Is.EqualTo(3));

        var dataset = await DatasetLoader.LoadAsync(file);

        Assert.That(dataset.Examples.Select(e => e.Completion[0].Content), Is.EqualTo(new[] { "a0", "a1", "a2", "a3", "a4" }));
        Assert.That(dataset.Examples.Select(e => e.Origin.Number), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
    }

    [Test]
    public async Task RealShareGptFileLoadsAllRows()
    {
        var file = TestPaths.SharedData("chat", "fastchat_dummy_conversation.json");

        var dataset = await DatasetLoader.LoadAsync(file);

        Assert.That(dataset.Examples, Has.Count.EqualTo(500));
        Assert.That(Describe(dataset.Examples[0]), Is.EqualTo(
            "user:Who are you?|assistant:I am Vicuna, a language model trained by researchers from Large Model Systems " +
            "Organization (LMSYS).|user:Have a nice day! => assistant:You too!"));
        Assert.That(dataset.Examples.SelectMany(e => e.Prompt.Concat(e.Completion)).Select(m => m.Role).Distinct(),
            Is.EquivalentTo(new[] { "user", "assistant" }));
    }

    private static string Write<T>(string dir, string container, List<T> rows) where T : new() => container switch
    {
        "jsonl" => WriteJsonLines(Path.Combine(dir, "train.jsonl"), rows),
        "json-array" => WriteJsonArray(Path.Combine(dir, "train.json"), rows),
        "json-lines" => WriteJsonLines(Path.Combine(dir, "train.json"), rows),
        _ => WriteParquet(Path.Combine(dir, "train.parquet"), rows),
    };

    private static string Describe(ChatExample e) =>
        string.Join("|", e.Prompt.Select(m => $"{m.Role}:{m.Content}")) + " => " +
        string.Join("|", e.Completion.Select(m => $"{m.Role}:{m.Content}"));

    private static List<MessagesRow> MessagesRows() =>
    [
        new() { Messages = [M("system", "Be brief."), M("user", "Hi"), M("assistant", "Hello!"), M("user", "Bye"), M("assistant", "Bye!")] },
        new() { Messages = [M("user", "2+2?"), M("assistant", "4")] },
    ];

    private static List<PromptCompletionRow> PromptCompletionRows() =>
    [
        new()
        {
            Prompt = [M("system", "Be brief."), M("user", "Hi"), M("assistant", "Hello!"), M("user", "Bye")],
            Completion = [M("assistant", "Bye!")],
        },
        new() { Prompt = [M("user", "2+2?")], Completion = [M("assistant", "4")] },
    ];

    private static List<ShareGptRow> ShareGptRows() =>
    [
        new() { Id = "a", Conversations = [S("system", "Be brief."), S("human", "Hi"), S("gpt", "Hello!"), S("user", "Bye"), S("model", "Bye!")] },
        new() { Id = "b", Conversations = [S("human", "2+2?"), S("assistant", "4")] },
    ];
}

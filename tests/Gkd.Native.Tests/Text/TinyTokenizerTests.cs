using System.Text.Json.Nodes;
using Gkd.Native.Training.Text;
using Gkd.Native.Training.Text.Unicode;
using NUnit.Framework;
using Oracle = Tokenizers.DotNet.Tokenizer;

namespace Gkd.Native.Tests.Text;

/// <summary>
/// A tokenizer built here (<see cref="TinyTokenizer"/>) loads through tokenizer.json (both merge forms), through
/// vocab.json + merges.txt, and with Llama-3's ignore_merges or GPT-2's pre-tokenizer, and matches Hugging Face's Rust
/// tokenizer on the same tokenizer.json, added-token flags (lstrip, rstrip, single_word, normalized) included.
/// </summary>
public class TinyTokenizerTests
{
    private static readonly string[] Texts =
    [
        "hello world", " hello  world\n\n", "Hello the in inn 's it's 12 123 1212", "<|start|>hello<|end|>", "<|start|><|end|><|end|>",
        "a <mask> b", "a<mask>b", "a\t <mask>\n\nb", "x[BOT] [BOT]y [BOT] é[BOT] _[BOT]", "cafe\u0301 café caféine", "é e\u0301 ée",
        "😀 \U0001D445x 12345", "\t\r\n  \u00a0 ", "", "say hi, hi there", "<|end", "<<|end|>>",
    ];

    /// <summary>
    /// Whether decode(encode(text)) gives the NFC text back: not when &lt;mask&gt; swallowed whitespace, and not for the
    /// added token "café", whose chars all lie in the byte-level alphabet, so Hugging Face's decoder (and ours) reads
    /// "é" as the lone byte 0xE9: "caf\uFFFD".
    /// </summary>
    private static bool RoundTrips(string text) =>
        !text.Contains("<mask>", StringComparison.Ordinal) && !NfcNormalizer.Normalize(text).Contains("café", StringComparison.Ordinal);

    private static void AssertMatchesOracle(BpeChatTokenizer tokenizer, string oracleDirectory)
    {
        using var oracle = new Oracle(Path.Combine(oracleDirectory, "tokenizer.json"));
        foreach (var text in Texts)
        {
            var expected = oracle.Encode(text).Select(id => (int)id).ToArray();
            Assert.That(tokenizer.Encode(text), Is.EqualTo(expected), $"ids of \"{text}\"");
            if (RoundTrips(text))
                Assert.That(tokenizer.Decode(expected, skipSpecialTokens: false), Is.EqualTo(NfcNormalizer.Normalize(text)), $"decode of \"{text}\"");
            Assert.That(tokenizer.Decode(expected, skipSpecialTokens: true), Is.EqualTo(oracle.Decode(expected.Select(i => (uint)i).ToArray())),
                $"decode without special tokens of \"{text}\"");
        }
    }

    [TestCase(TinyTokenizer.Layout.Fast)]
    [TestCase(TinyTokenizer.Layout.FastPairMerges)]
    public void TokenizerJson_MatchesTheOracle(TinyTokenizer.Layout layout)
    {
        var dir = TinyTokenizer.Write(new TinyTokenizer.Options(layout));
        AssertMatchesOracle(BpeChatTokenizer.Load(dir), dir);
    }

    [Test]
    public void VocabJsonAndMergesTxt_MatchTheOracleOnTheEquivalentTokenizerJson()
    {
        var slow = TinyTokenizer.Write(new TinyTokenizer.Options(TinyTokenizer.Layout.Slow));
        var fast = TinyTokenizer.Write(new TinyTokenizer.Options());
        AssertMatchesOracle(BpeChatTokenizer.Load(slow), fast);
    }

    [Test]
    public void IgnoreMerges_EmitsWholeVocabularyWords_LikeTheOracle()
    {
        var dir = TinyTokenizer.Write(new TinyTokenizer.Options(IgnoreMerges: true));
        var tokenizer = BpeChatTokenizer.Load(dir);
        AssertMatchesOracle(tokenizer, dir);
        Assert.That(tokenizer.Encode(TinyTokenizer.UnmergedWord), Has.Length.EqualTo(1));
        Assert.That(BpeChatTokenizer.Load(TinyTokenizer.Write(new TinyTokenizer.Options())).Encode(TinyTokenizer.UnmergedWord), Has.Length.EqualTo(3));
    }

    [Test]
    public void Gpt2ByteLevelPreTokenizer_MatchesTheOracle()
    {
        var dir = TinyTokenizer.Write(new TinyTokenizer.Options(Gpt2PreTokenizer: true));
        AssertMatchesOracle(BpeChatTokenizer.Load(dir), dir);
    }

    [Test]
    public void SpecialTokenIds_ComeFromTokenizerConfig()
    {
        var tokenizer = BpeChatTokenizer.Load(TinyTokenizer.Write(new TinyTokenizer.Options()));
        var first = TinyTokenizer.FirstAddedId;
        Assert.That(tokenizer.EosTokenId, Is.EqualTo(first));
        Assert.That(tokenizer.PadTokenId, Is.EqualTo(first), "no pad_token: the EOS id");
        Assert.That(tokenizer.VocabSize, Is.EqualTo(first + TinyTokenizer.Added.Length));
        Assert.That(tokenizer.TokenToId("<mask>"), Is.EqualTo(first + 2));
    }

    [Test]
    public void NormalizedAddedToken_MatchesAfterNfc()
    {
        var tokenizer = BpeChatTokenizer.Load(TinyTokenizer.Write(new TinyTokenizer.Options()));
        var cafe = TinyTokenizer.FirstAddedId + 4;
        Assert.That(tokenizer.Encode("cafe\u0301"), Is.EqualTo(new[] { cafe }));
        Assert.That(tokenizer.Encode("café"), Is.EqualTo(new[] { cafe }));
        Assert.That(tokenizer.Decode([cafe], skipSpecialTokens: false), Is.EqualTo("caf\uFFFD"), "as Hugging Face decodes it");
    }

    [Test]
    public void ChatTemplate_ListForm_PicksDefault()
    {
        var templates = new JsonArray(
            new JsonObject { ["name"] = "tool_use", ["template"] = "tools!" },
            new JsonObject { ["name"] = "default", ["template"] = TinyTokenizer.ChatTemplate });
        var tokenizer = BpeChatTokenizer.Load(TinyTokenizer.Write(new TinyTokenizer.Options(ChatTemplateNode: templates)));
        ChatMessage[] messages = [new("system", "Be brief."), new("user", "hello")];
        Assert.That(tokenizer.ApplyChatTemplate(messages, addGenerationPrompt: true), Is.EqualTo(
            "<|start|>system\nBe brief.<|end|>\n<|start|>user\nhello<|end|>\n<|start|>assistant\n"));
        Assert.That(tokenizer.ApplyChatTemplate(messages, addGenerationPrompt: false), Is.EqualTo(
            "<|start|>system\nBe brief.<|end|>\n<|start|>user\nhello<|end|>\n"));
    }

    [Test]
    public void ChatTemplate_ListWithoutDefault_FailsListingTheNames()
    {
        var templates = new JsonArray(new JsonObject { ["name"] = "tool_use", ["template"] = "x" });
        var dir = TinyTokenizer.Write(new TinyTokenizer.Options(ChatTemplateNode: templates));
        var error = Assert.Throws<InvalidDataException>(() => BpeChatTokenizer.Load(dir))!;
        Assert.That(error.Message, Does.Contain("tool_use").And.Contain("\"default\"").And.Contain("tokenizer_config.json"));
    }

    [Test]
    public void ChatTemplate_FromChatTemplateJinja_SeesTheSpecialTokens()
    {
        var dir = TinyTokenizer.Write(new TinyTokenizer.Options(ChatTemplateFile: "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}\n"));
        var tokenizer = BpeChatTokenizer.Load(dir);
        Assert.That(tokenizer.ApplyChatTemplate([new ChatMessage("user", "hi")], addGenerationPrompt: false), Is.EqualTo("<|start|>hi<|end|>"));
    }

    [Test]
    public void ChatTemplate_Missing_FailsNamingTheDirectory()
    {
        var dir = TinyTokenizer.Write(new TinyTokenizer.Options());
        var tokenizer = BpeChatTokenizer.Load(dir);
        var error = Assert.Throws<InvalidOperationException>(() => tokenizer.ApplyChatTemplate([new ChatMessage("user", "hi")], true))!;
        Assert.That(error.Message, Does.Contain(dir).And.Contain("chat_template"));
    }

    [Test]
    public void ChatTemplate_Unsupported_FailsOnUseNamingTheConstruct()
    {
        var dir = TinyTokenizer.Write(new TinyTokenizer.Options(ChatTemplateNode: "{% macro m() %}{% endmacro %}"));
        var tokenizer = BpeChatTokenizer.Load(dir);
        Assert.That(tokenizer.Encode("hello"), Has.Length.EqualTo(1), "encoding works without the template");
        var error = Assert.Throws<Training.Text.Jinja.JinjaException>(() => tokenizer.ApplyChatTemplate([new ChatMessage("user", "hi")], true))!;
        Assert.That(error.Message, Does.Contain("macro"));
    }

    [Test]
    public void MissingDirectory_Fails() =>
        Assert.That(() => BpeChatTokenizer.Load(Path.Combine(Path.GetTempPath(), "gkd-no-such-dir")),
            Throws.TypeOf<DirectoryNotFoundException>().With.Message.Contains("gkd-no-such-dir").And.Message.Contains("tokenizer.json"));

    [Test]
    public void EmptyDirectory_FailsListingWhatWasExpected()
    {
        var dir = Support.TestPaths.TempDir("empty-tokenizer");
        var error = Assert.Throws<FileNotFoundException>(() => BpeChatTokenizer.Load(dir))!;
        Assert.That(error.Message, Does.Contain(dir).And.Contain("tokenizer_config.json").And.Contain("tokenizer.json")
            .And.Contain("vocab.json + merges.txt"));
    }

    [Test]
    public void ConfigWithoutTokenizerFiles_FailsListingWhatWasFound()
    {
        var dir = TinyTokenizer.Write(new TinyTokenizer.Options());
        File.Delete(Path.Combine(dir, "tokenizer.json"));
        File.WriteAllText(Path.Combine(dir, "vocab.json"), "{}");
        var error = Assert.Throws<FileNotFoundException>(() => BpeChatTokenizer.Load(dir))!;
        Assert.That(error.Message, Does.Contain("found [tokenizer_config.json, vocab.json]"));
    }

    [Test]
    public void UnsupportedNormalizer_FailsNamingFileAndField()
    {
        var dir = TinyTokenizer.Write(new TinyTokenizer.Options(Normalizer: new JsonObject { ["type"] = "Lowercase" }));
        var error = Assert.Throws<InvalidDataException>(() => BpeChatTokenizer.Load(dir))!;
        Assert.That(error.Message, Does.Contain("tokenizer.json").And.Contain("normalizer").And.Contain("Lowercase").And.Contain("NFC"));
    }
}

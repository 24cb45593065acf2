using System.Diagnostics;
using System.Text;
using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Text;
using NUnit.Framework;
using Oracle = Tokenizers.DotNet.Tokenizer;

namespace Gkd.Native.Tests.Text;

/// <summary>
/// The Qwen2 tokenizer from the shared checkpoint files against Hugging Face's Rust tokenizer (Tokenizers.DotNet) on the
/// same tokenizer.json: ids on every arena prompt, every ShareGPT turn and every rendered conversation.
/// </summary>
public class Qwen2TokenizerTests
{
    private static readonly string Directory = TestPaths.SharedData("qwen2-tokenizer");
    private BpeChatTokenizer tokenizer = null!;
    private Oracle oracle = null!;

    [OneTimeSetUp]
    public void Load()
    {
        tokenizer = BpeChatTokenizer.Load(Directory);
        oracle = new Oracle(Path.Combine(Directory, "tokenizer.json"));
    }

    [OneTimeTearDown]
    public void Unload() => oracle.Dispose();

    private int[] OracleIds(string text) => oracle.Encode(text).Select(id => (int)id).ToArray();

    /// <summary>The texts whose ids differ from the oracle's, with the first differing position, for a readable failure.</summary>
    private List<string> Mismatches(IEnumerable<string> texts) =>
        texts.Select(text => (text, ours: tokenizer.Encode(text), theirs: OracleIds(text)))
            .Where(t => !t.ours.SequenceEqual(t.theirs))
            .Select(t =>
            {
                var at = t.ours.Zip(t.theirs).TakeWhile(p => p.First == p.Second).Count();
                return $"token {at}: ours {string.Join(",", t.ours.Skip(at).Take(4))} vs {string.Join(",", t.theirs.Skip(at).Take(4))} in \"{t.text[..Math.Min(60, t.text.Length)]}\"";
            })
            .ToList();

    [Test]
    public void KnownIds()
    {
        Assert.That(tokenizer.Encode("Hello world"), Is.EqualTo(new[] { 9707, 1879 }));
        Assert.That(tokenizer.Encode("<|im_start|>assistant\n"), Is.EqualTo(new[] { 151644, 77091, 198 }));
        Assert.That(tokenizer.EosTokenId, Is.EqualTo(151645));
        Assert.That(tokenizer.PadTokenId, Is.EqualTo(151643));
        Assert.That(tokenizer.VocabSize, Is.EqualTo(151646));
        Assert.That(tokenizer.TokenToId("<|im_end|>"), Is.EqualTo(151645));
        Assert.That(tokenizer.TokenToId("Hello"), Is.EqualTo(9707));
        Assert.That(tokenizer.TokenToId("no such token"), Is.Null);
        Assert.That(tokenizer.Encode(""), Is.Empty);
    }

    [Test]
    public void ArenaPrompts_MatchTheOracle()
    {
        var prompts = ChatData.ArenaPrompts();
        Assert.That(prompts, Has.Count.EqualTo(500));
        Assert.That(Mismatches(prompts), Is.Empty);
    }

    [Test]
    public void ShareGptTurns_MatchTheOracle()
    {
        var turns = ChatData.ShareGptConversations().SelectMany(c => c).Select(m => m.Content).ToList();
        Assert.That(turns, Has.Count.GreaterThan(500));
        Assert.That(Mismatches(turns), Is.Empty);
    }

    [Test]
    public void RenderedConversations_AreChatMl_AndMatchTheOracle()
    {
        var conversations = ChatData.ShareGptConversations();
        Assert.That(conversations, Has.Count.EqualTo(500));
        var rendered = new List<string>();
        foreach (var conversation in conversations)
        {
            var expected = new StringBuilder();
            if (conversation[0].Role != "system") expected.Append("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n");
            foreach (var m in conversation) expected.Append($"<|im_start|>{m.Role}\n{m.Content}<|im_end|>\n");
            var text = tokenizer.ApplyChatTemplate(conversation, addGenerationPrompt: false);
            Assert.That(text, Is.EqualTo(expected.ToString()));
            var prompt = tokenizer.ApplyChatTemplate(conversation.Take(1).ToList(), addGenerationPrompt: true);
            Assert.That(prompt, Does.EndWith("<|im_end|>\n<|im_start|>assistant\n"));
            rendered.Add(text);
            rendered.Add(prompt);
        }
        Assert.That(Mismatches(rendered), Is.Empty);
        Assert.That(tokenizer.Encode(rendered[0]).Count(id => id == tokenizer.EosTokenId), Is.EqualTo(conversations[0].Count + 1));
    }

    [Test]
    public void Encode_FromManyThreads_GivesTheSameIds()
    {
        var prompts = ChatData.ArenaPrompts();
        var sequential = prompts.Select(tokenizer.Encode).ToArray();
        var parallel = new int[prompts.Count][];
        Parallel.For(0, prompts.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = tokenizer.Encode(prompts[i]));
        Assert.That(parallel, Is.EqualTo(sequential));
    }

    [Test]
    public void DecodeOfEncode_IsTheText()
    {
        var texts = ChatData.ArenaPrompts().Concat(ChatData.ShareGptConversations().SelectMany(c => c).Select(m => m.Content));
        var broken = texts.Where(t => tokenizer.Decode(tokenizer.Encode(t), skipSpecialTokens: false) != t).ToList();
        Assert.That(broken, Is.Empty);
    }

    [Test]
    public void Decode_SkipsSpecialTokensOnlyWhenAsked_LikeTheOracle()
    {
        var text = tokenizer.ApplyChatTemplate([new ChatMessage("user", "Hi there")], addGenerationPrompt: true);
        var ids = tokenizer.Encode(text);
        Assert.That(tokenizer.Decode(ids, skipSpecialTokens: false), Is.EqualTo(text));
        Assert.That(tokenizer.Decode(ids, skipSpecialTokens: true), Is.EqualTo(oracle.Decode(ids.Select(i => (uint)i).ToArray())));
        Assert.That(tokenizer.Decode(ids, skipSpecialTokens: true), Is.EqualTo("system\nYou are a helpful assistant.\nuser\nHi there\nassistant\n"));
    }

    [Test]
    public void Decode_ReplacesInvalidUtf8_LikeTheOracle()
    {
        int Byte(byte b) => tokenizer.TokenToId(ByteLevelAlphabet.Char(b))!.Value;
        int[][] cases =
        [
            [Byte((byte)'H'), Byte(0xE4), Byte((byte)'i')],       // a lone lead byte
            [Byte(0xE4), Byte(0xBD)],                             // a truncated three-byte sequence
            [Byte(0x80), Byte(0xBF), Byte((byte)'x')],            // two stray continuation bytes
            [Byte(0xF0), Byte(0x9F), Byte(0x98), Byte(0x80), Byte(0xC3)], // an emoji, then a cut-off é
            [.. tokenizer.Encode("你好"), Byte(0xFF)],
        ];
        foreach (var ids in cases)
            Assert.That(tokenizer.Decode(ids, skipSpecialTokens: false), Is.EqualTo(oracle.Decode(ids.Select(i => (uint)i).ToArray())));
        Assert.That(tokenizer.Decode(cases[0], skipSpecialTokens: false), Is.EqualTo("H\uFFFDi"));
    }

    [Test]
    public void Decode_SkipsIdsOutsideTheVocabulary() =>
        Assert.That(tokenizer.Decode([9707, 151700, -1, 1879], skipSpecialTokens: false), Is.EqualTo("Hello world"));

    [TestCase("e\u0301", "é")]
    [TestCase("\u212B ngstrom", "Å ngstrom")]
    [TestCase("\u1100\u1161\u11A8", "각")]
    [TestCase("a\u0302\u0323 q\u0307\u0323", "\u1EAD q\u0323\u0307")]
    [TestCase("\u0958 \u0344", "\u0915\u093C \u0308\u0301")]
    public void Encode_NormalisesToNfc_LikeTheOracle(string decomposed, string composed)
    {
        Assert.That(tokenizer.Encode(decomposed), Is.EqualTo(OracleIds(decomposed)));
        Assert.That(tokenizer.Encode(decomposed), Is.EqualTo(tokenizer.Encode(composed)));
    }

    [Test]
    public void Encode_EveryBmpCharacterWithMarks_MatchesTheOracle()
    {
        var chunks = new List<string>();
        var sb = new StringBuilder();
        for (var c = 0x80; c <= 0xFFFD; c++)
        {
            if (char.IsSurrogate((char)c)) continue;
            sb.Append((char)c).Append(' ').Append((char)c).Append("\u0301 ").Append((char)c).Append("\u0323\u0302 \u0301").Append((char)c).Append('\n');
            if (sb.Length > 2000)
            {
                chunks.Add(sb.ToString());
                sb.Clear();
            }
        }
        chunks.Add(sb.ToString());
        Assert.That(Mismatches(chunks), Is.Empty);
    }

    [TestCase("\U0001D445\U0001D44E\U0001D461\U0001D452 of \U0001D707 \U0001D7D9\U0001D7DA")]
    [TestCase("emoji 😀😀 x😀y 👩‍👩‍👧 \U00020000\U00020001 CJK ext-B")]
    public void Encode_CharactersOutsideTheBmp_MatchTheOracle(string text) =>
        Assert.That(tokenizer.Encode(text), Is.EqualTo(OracleIds(text)));

    [Test]
    public void Encode_SampledCharactersOutsideTheBmp_MatchTheOracle()
    {
        var chunks = new List<string>();
        var sb = new StringBuilder();
        for (var c = 0x10000; c <= 0x10FFFF; c += 7)
        {
            if (System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.OtherNotAssigned) continue;
            var s = char.ConvertFromUtf32(c);
            sb.Append(s).Append(' ').Append(s).Append("\u0301 a").Append(s).Append(" x").Append(s).Append("1 ").Append(s).Append(s).Append("!\n");
            if (sb.Length > 4000)
            {
                chunks.Add(sb.ToString());
                sb.Clear();
            }
        }
        chunks.Add(sb.ToString());
        Assert.That(Mismatches(chunks), Is.Empty);
    }

    [Test]
    public void Encode_LoneSurrogate_IsReadAsTheReplacementCharacter()
    {
        // The oracle refuses such strings (Rust strings are valid UTF-8); we encode them as UTF-8 does, as U+FFFD.
        var text = "lone " + (char)0xD800 + " surrogate";
        Assert.That(tokenizer.Encode(text), Is.EqualTo(tokenizer.Encode("lone \uFFFD surrogate")));
    }

    [Test]
    public void Encode_AllArenaPrompts_TakesWellUnderASecond()
    {
        var prompts = ChatData.ArenaPrompts();
        tokenizer.Encode(prompts[0]);
        var watch = Stopwatch.StartNew();
        var tokens = prompts.Sum(p => tokenizer.Encode(p).Length);
        watch.Stop();
        TestContext.Out.WriteLine($"{prompts.Count} prompts, {tokens} tokens in {watch.ElapsedMilliseconds} ms");
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
    }
}

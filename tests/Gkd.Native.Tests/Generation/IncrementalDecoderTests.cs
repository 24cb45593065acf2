using Gkd.Native.Tests.Support;
using Gkd.Native.Training.Generation;
using Gkd.Native.Training.Text;

namespace Gkd.Native.Tests.Generation;

/// <summary>Streaming text never splits a UTF-8 sequence and adds up to the whole decode (tiny tokenizer: id = byte).</summary>
public sealed class IncrementalDecoderTests
{
    private static readonly BpeChatTokenizer Tokenizer = BpeChatTokenizer.Load(TestPaths.Golden("models", "student-g2-untied-f32"));

    [Test]
    public void HoldsAMultiByteCharacterUntilItsLastByte()
    {
        var decoder = new IncrementalDecoder(Tokenizer);
        var pieces = System.Text.Encoding.UTF8.GetBytes("aé€😀").Select(b => decoder.Add(b)).ToArray();
        Assert.That(pieces, Is.EqualTo(new[] { "a", "", "é", "", "", "€", "", "", "", "😀" }));
        Assert.That(decoder.Flush(), Is.Empty);
    }

    [Test]
    public void BrokenSequencesComeOutAsTheWholeDecodeDoes()
    {
        int[] ids = [0xE4, 0xB8, 0x41, 0x80, 0x42, 0xF0, 0x9F];
        var decoder = new IncrementalDecoder(Tokenizer);
        var streamed = string.Concat(ids.Select(decoder.Add)) + decoder.Flush();
        Assert.That(streamed, Is.EqualTo(Tokenizer.Decode(ids, skipSpecialTokens: true)));
        Assert.That(streamed, Is.EqualTo("\uFFFDA\uFFFDB\uFFFD"));
    }

    [Test]
    public void GoldenCompletionsStreamToTheirText()
    {
        foreach (var run in GenerationGolden.Instance.Runs)
            for (var i = 0; i < run.Completions.Length; i++)
            {
                var decoder = new IncrementalDecoder(Tokenizer);
                var streamed = string.Concat(run.Completions[i].Select(decoder.Add)) + decoder.Flush();
                Assert.That(streamed, Is.EqualTo(run.Texts[i]), $"{run.Model} {run.Adapter} prompt {i}");
            }
    }
}

using Gkd.Native.Training.Text.Unicode;
using NUnit.Framework;

namespace Gkd.Native.Tests.Text.Unicode;

/// <summary>
/// NFC cases from UAX #15 and the Unicode normalisation tests: composition, canonical ordering, singletons, composition
/// exclusions, non-starter decompositions, Hangul; the oracle sweep over the BMP lives in Qwen2TokenizerTests.
/// </summary>
public class NfcNormalizerTests
{
    [TestCase("e\u0301", "\u00e9")]                       // e + acute → é
    [TestCase("\u00e9", "\u00e9")]                        // already composed
    [TestCase("\u212b", "\u00c5")]                        // ANGSTROM SIGN: a singleton, decomposes to Å
    [TestCase("A\u030a", "\u00c5")]
    [TestCase("a\u0302\u0323", "\u1ead")]                 // marks reordered by class (dot below 220 before circumflex 230), then composed
    [TestCase("q\u0307\u0323", "q\u0323\u0307")]          // reordered, nothing to compose with
    [TestCase("\u1e0b\u0323", "\u1e0d\u0307")]            // ḋ + dot below → ḍ + dot above
    [TestCase("\u0958", "\u0915\u093c")]                  // DEVANAGARI QA: a composition exclusion stays decomposed
    [TestCase("\u0344", "\u0308\u0301")]                  // a non-starter decomposition
    [TestCase("\u1100\u1161\u11a8", "\uac01")]            // Hangul L V T → LVT syllable
    [TestCase("\uac00\u11a8", "\uac01")]                  // Hangul LV + T
    [TestCase("\u0301e", "\u0301e")]                      // a leading mark composes with nothing
    [TestCase("e\u0334\u0301", "\u00e9\u0334")]           // overlay (class 1) does not block acute (230)
    [TestCase("e\u0301\u0301", "\u00e9\u0301")]           // the second acute is blocked by the first
    [TestCase("\ud834\udd5e", "\ud834\udd57\ud834\udd65")] // MUSICAL SYMBOL HALF NOTE: excluded, outside the BMP
    public void Normalize_GivesTheNfcForm(string input, string expected) =>
        Assert.That(NfcNormalizer.Normalize(input), Is.EqualTo(expected));

    [Test]
    public void Normalize_TextBelowU0300_ReturnsTheSameInstance()
    {
        var text = "plain ASCII and Latin-1: caf\u00e9 \u00fc\u00df";
        Assert.That(NfcNormalizer.Normalize(text), Is.SameAs(text));
    }

    [Test]
    public void Normalize_IsIdempotentOverTheBmp()
    {
        for (var c = 0x300; c <= 0xFFFD; c++)
        {
            if (char.IsSurrogate((char)c)) continue;
            var once = NfcNormalizer.Normalize("a" + (char)c + "\u0301");
            Assert.That(NfcNormalizer.Normalize(once), Is.EqualTo(once), $"U+{c:X4}");
        }
    }

    [TestCase(0x0301, 230)]
    [TestCase(0x0323, 220)]
    [TestCase(0x0041, 0)]
    [TestCase(0x1D165, 216)]
    public void CombiningClass_MatchesUnicodeData(int codePoint, int expected) =>
        Assert.That(NfcNormalizer.CombiningClass(codePoint), Is.EqualTo(expected));
}

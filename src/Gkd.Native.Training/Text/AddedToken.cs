namespace Gkd.Native.Training.Text;

/// <summary>
/// A token matched as a whole in the text before pre-tokenisation (tokenizer.json added_tokens, tokenizer_config's
/// added_tokens_decoder): special tokens like "&lt;|im_end|&gt;" and user-added words.
/// </summary>
/// <param name="Special">Dropped by Decode when skipping special tokens.</param>
/// <param name="SingleWord">Only matched when no word character touches it on either side.</param>
/// <param name="LStrip">Also swallows the whitespace before it.</param>
/// <param name="RStrip">Also swallows the whitespace after it.</param>
/// <param name="Normalized">Matched in the normalised text instead of the raw text.</param>
internal sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord, bool LStrip, bool RStrip, bool Normalized);

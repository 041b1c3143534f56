/**
 * The model's tokenizer, with exact character offsets.
 *
 * Tokenization itself is done by `@huggingface/tokenizers` (a JS port of Hugging Face's Rust
 * `tokenizers`) from the `tokenizer.json` beside the weights. That package returns ids and token
 * strings but no offsets, and the editor needs them: every token must map to the range of the
 * user's text it came from. The offsets are computed here, following the rules of Hugging Face's
 * `return_offsets_mapping` (checked against the Python binding by test/unit/tokenizer.test.ts):
 *
 * - Offsets are `[start, end)` UTF-16 code unit indices into the ORIGINAL string (JS indices;
 *   Python reports code point indices, which differ after an astral-plane character).
 * - Special tokens added by the post-processor (a BOS from TemplateProcessing, BERT's CLS/SEP)
 *   get `[0, 0]`. Added tokens written in the text itself get their place in it.
 * - A token holding only some bytes of a character (byte-level BPE splits UTF-8 anywhere; SentencePiece
 *   byte fallback emits one `<0xNN>` per byte) covers that whole character, so consecutive tokens
 *   can overlap on it. This is what Hugging Face reports, and a range of the text cannot hold half
 *   a character anyway.
 * - The prefix space a pre-tokenizer or normalizer adds (Metaspace's `▁`, ByteLevel's
 *   `add_prefix_space`, a `Prepend` normalizer) has no character of its own: like Hugging Face it
 *   takes the range of the character it was put in front of, so `▁Hello` covers `Hello` and a
 *   token that is nothing but that prefix covers the first character after it.
 * - When the post-processor trims offsets (ByteLevel / RobertaProcessing with `trim_offsets`, as
 *   GPT-NeoX / Pythia and RoBERTa have it) the same trimming rule is applied.
 *
 * How: the text is split on added tokens as the tokenizer does, each remaining section is
 * normalized here with the alignment of every normalized character to the original characters
 * it came from (Lowercase, NFC/NFD/NFKC/NFKD, StripAccents, Replace with a string pattern,
 * Prepend; others are treated as the identity), and then each token's bytes are matched against
 * the section's UTF-8 bytes with a cursor. A token's bytes are known exactly for byte-level BPE
 * (GPT-2's bytes↔unicode table) and for SentencePiece-style vocabularies (`▁` is a space,
 * `<0xNN>` is one byte); for any other model the token string itself is used, less WordPiece's
 * `##` or a BPE end-of-word suffix. A token that cannot be found (an `<unk>`, or text changed by a
 * normalizer not modelled here) is given the stretch of text between its neighbours. Computing
 * offsets never throws.
 *
 * Map of this folder: modelTokenizer.ts is the class; load.ts reads the files and builds the
 * library's tokenizer; pipeline.ts reads what the offsets need from tokenizer.json, and
 * addedTokens.ts and specialTokens.ts its added tokens and BOS/EOS. offsets.ts computes the
 * offsets of an encoding: normalize.ts and normalizedView.ts turn a section of the text into
 * normalized bytes aligned to the original, tokenPlan.ts says what bytes a token stands for
 * (byteLevel.ts, metaspace.ts), and alignSection.ts matches one to the other. display.ts gives
 * tokens' readable forms; json.ts, text.ts and types.ts are shared.
 */

export { ModelTokenizer } from './modelTokenizer';
export type { DecodeOptions, EncodeOptions, OffsetStrategy, TokenizedText } from './types';

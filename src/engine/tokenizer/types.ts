/** The public types of the tokenizer (re-exported by index.ts). */

/** Ids and token strings of a text, and the range of the text each token covers. */
export interface TokenizedText {
  ids: number[];
  tokens: string[];
  /** `[start, end)` in UTF-16 code units of the original text; `[0, 0]` for added special tokens. */
  offsets: Array<[start: number, end: number]>;
}

export interface EncodeOptions {
  /** Add the post-processor's special tokens (e.g. a BOS). Default true, as Hugging Face. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave special tokens out of the text. Default true, as Hugging Face's `decode`. */
  skipSpecialTokens?: boolean;
}

/** How token strings map back to bytes of the text. */
export type OffsetStrategy = 'byte-level' | 'metaspace' | 'generic';

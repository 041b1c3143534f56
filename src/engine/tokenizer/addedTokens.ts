/**
 * Added tokens (`<s>`, `<|endoftext|>`, chat markers): tokens the tokenizer finds in the text
 * before the model sees it, splitting the text into sections around them.
 */

import { isObject, type Json } from './json';
import { WHITESPACE } from './text';

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  /** Looked for in the normalized text rather than the raw text. */
  normalized: boolean;
  /** Swallows the whitespace before it (`lstrip`) or after it (`rstrip`). */
  lstrip: boolean;
  rstrip: boolean;
}

/** A stretch of the text: an added token written there, or ordinary text between them. */
export interface Span {
  start: number;
  end: number;
  /** The added token written here, or undefined for ordinary text. */
  added?: AddedToken;
}

/** The `added_tokens` of tokenizer.json; entries that are not well-formed are left out. */
export function readAddedTokens(json: Json): AddedToken[] {
  if (!Array.isArray(json.added_tokens)) return [];
  return json.added_tokens.flatMap((t: unknown): AddedToken[] => {
    if (!isObject(t) || typeof t.content !== 'string' || typeof t.id !== 'number' || t.content.length === 0) return [];
    const special = t.special === true;
    return [
      {
        id: t.id,
        content: t.content,
        special,
        // As Hugging Face: special tokens default to matching the raw text, others the normalized text.
        normalized: typeof t.normalized === 'boolean' ? t.normalized : !special,
        lstrip: t.lstrip === true,
        rstrip: t.rstrip === true,
      },
    ];
  });
}

/** Splits text where added tokens are written in it, as the tokenizer does. */
export class AddedTokenSplitter {
  /** Added tokens matched on the raw text, grouped by first UTF-16 unit, longest first. */
  private readonly byFirstUnit = new Map<string, AddedToken[]>();

  /** `normalizes`: the tokenizer has a normalizer. */
  constructor(added: readonly AddedToken[], normalizes: boolean) {
    for (const token of added) {
      // As the JS package: tokens marked `normalized` are looked for after normalization.
      if (token.normalized && normalizes) continue;
      const list = this.byFirstUnit.get(token.content[0]) ?? [];
      list.push(token);
      this.byFirstUnit.set(token.content[0], list);
    }
    for (const list of this.byFirstUnit.values()) list.sort((a, b) => b.content.length - a.content.length);
  }

  split(text: string): Span[] {
    const spans: Span[] = [];
    let textStart = 0;
    let i = 0;
    while (i < text.length) {
      const hit = this.byFirstUnit.get(text[i])?.find((t) => text.startsWith(t.content, i));
      if (hit === undefined) {
        i++;
        continue;
      }
      let start = i;
      let end = i + hit.content.length;
      if (hit.lstrip) while (start > textStart && WHITESPACE.test(text[start - 1])) start--;
      if (hit.rstrip) while (end < text.length && WHITESPACE.test(text[end])) end++;
      if (start > textStart) spans.push({ start: textStart, end: start });
      spans.push({ start, end, added: hit });
      textStart = end;
      i = end;
    }
    if (textStart < text.length) spans.push({ start: textStart, end: text.length });
    return spans;
  }
}

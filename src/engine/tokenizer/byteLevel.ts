/**
 * Byte-level BPE (GPT-2, RoBERTa, GPT-NeoX...): token strings spell bytes, one printable
 * character per byte from GPT-2's reversible table, so a token's bytes are known exactly.
 */

import { utf8, WHITESPACE } from './text';

/** GPT-2's reversible map from the 256 byte values to printable characters. */
const BYTE_TO_CHAR: string[] = (() => {
  const table = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : next++);
  }
  return table;
})();
const CHAR_TO_BYTE = new Map<string, number>(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** How a space byte is spelled in token strings: `Ġ`. */
const SPACE_CHAR = BYTE_TO_CHAR[0x20];

/**
 * The bytes a byte-level token string stands for (`Ġthe` → ` the`). A character outside the
 * table stands for its own UTF-8 bytes.
 */
export function byteLevelBytes(token: string): number[] {
  return Array.from(token).flatMap((c) => {
    const b = CHAR_TO_BYTE.get(c);
    return b === undefined ? utf8(c) : [b];
  });
}

/** A post-processor that trims offsets (ByteLevel or RobertaProcessing with `trim_offsets`). */
export interface TrimRule {
  addPrefixSpace: boolean;
}

/**
 * Hugging Face's ByteLevel `trim_offsets`: leave the spaces a token starts or ends with out of
 * its range. With `add_prefix_space` a single leading space of the first token is not trimmed:
 * the tokenizer added it, so it is not in the text and there is nothing to leave out.
 */
export function trimOffsets(tokens: readonly string[], offsets: Array<[number, number]>, rule: TrimRule): void {
  const isSpace = (c: string): boolean => c === SPACE_CHAR || WHITESPACE.test(c);
  tokens.forEach((token, i) => {
    const chars = Array.from(token);
    let leading = 0;
    while (leading < chars.length && isSpace(chars[leading])) leading++;
    let trailing = 0;
    while (trailing < chars.length && isSpace(chars[chars.length - 1 - trailing])) trailing++;
    const o = offsets[i];
    if (leading > 0) {
      const first = i === 0 || o[0] === 0;
      if (!(first && rule.addPrefixSpace && leading === 1)) o[0] = Math.min(o[0] + leading, o[1]);
    }
    if (trailing > 0 && o[1] >= trailing) o[1] = Math.max(o[1] - trailing, o[0]);
  });
}

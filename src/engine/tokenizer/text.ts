/** Text helpers shared by the offset code. */

const utf8Encoder = new TextEncoder();

/** UTF-8 bytes of a string; a lone surrogate becomes the bytes of U+FFFD, as TextEncoder writes it. */
export function utf8(text: string): number[] {
  return Array.from(utf8Encoder.encode(text));
}

/** A whitespace character (JS `\s`). */
export const WHITESPACE = /\s/u;

/**
 * A section of the text as the model's tokens spell it: normalized, then UTF-8 encoded, with
 * every byte knowing the range of the original text its character came from.
 */

import { applyStep, type AlignedChars, type NormStep } from './normalize';
import { WHITESPACE } from './text';

/** UTF-8 bytes of a normalized section, each byte knowing its character's original range. */
export interface NormalizedView {
  bytes: Uint8Array;
  /** `[originalStart, originalEnd)` of each byte's character, in UTF-16 units of the text. */
  originalStart: Int32Array;
  originalEnd: Int32Array;
  /** 1 where a character starts. */
  startsChar: Uint8Array;
  /** 1 on the bytes of whitespace characters. */
  isSpace: Uint8Array;
  /** First normalized character, for the prefix-space rules. */
  first: string | undefined;
}

/** The view of `text.slice(from, to)` after the normalization `steps`. */
export function normalizedView(text: string, from: number, to: number, steps: readonly NormStep[]): NormalizedView {
  let aligned = originalChars(text, from, to);
  for (const step of steps) aligned = applyStep(aligned, step);

  const count = aligned.chars.length;
  const capacity = 4 * count; // at most 4 UTF-8 bytes a character
  const view: NormalizedView = {
    bytes: new Uint8Array(capacity),
    originalStart: new Int32Array(capacity),
    originalEnd: new Int32Array(capacity),
    startsChar: new Uint8Array(capacity),
    isSpace: new Uint8Array(capacity),
    first: aligned.chars[0],
  };
  let at = 0;
  for (let i = 0; i < count; i++) {
    const c = aligned.chars[i];
    let cp = c.codePointAt(0) ?? 0xfffd;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate, as TextEncoder writes it
    const start = at;
    at = writeUtf8(cp, view.bytes, at);
    view.originalStart.fill(aligned.originalStart[i], start, at);
    view.originalEnd.fill(aligned.originalEnd[i], start, at);
    view.startsChar[start] = 1;
    // (The regular expression only for non-ASCII: the usual case stays cheap.)
    if (cp <= 0x20 ? cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) : cp >= 0x80 && WHITESPACE.test(c)) view.isSpace.fill(1, start, at);
  }
  view.bytes = view.bytes.subarray(0, at);
  view.originalStart = view.originalStart.subarray(0, at);
  view.originalEnd = view.originalEnd.subarray(0, at);
  view.startsChar = view.startsChar.subarray(0, at);
  view.isSpace = view.isSpace.subarray(0, at);
  return view;
}

/** The code points of `text.slice(from, to)`, each standing for itself. */
function originalChars(text: string, from: number, to: number): AlignedChars {
  const aligned: AlignedChars = { chars: [], originalStart: [], originalEnd: [] };
  for (let i = from; i < to; ) {
    const width = (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
    aligned.chars.push(text.slice(i, i + width));
    aligned.originalStart.push(i);
    aligned.originalEnd.push(i + width);
    i += width;
  }
  return aligned;
}

/** Writes the UTF-8 bytes of code point `cp` at `at`; returns where they end. */
function writeUtf8(cp: number, bytes: Uint8Array, at: number): number {
  if (cp < 0x80) {
    bytes[at++] = cp;
  } else if (cp < 0x800) {
    bytes[at++] = 0xc0 | (cp >> 6);
    bytes[at++] = 0x80 | (cp & 0x3f);
  } else if (cp < 0x10000) {
    bytes[at++] = 0xe0 | (cp >> 12);
    bytes[at++] = 0x80 | ((cp >> 6) & 0x3f);
    bytes[at++] = 0x80 | (cp & 0x3f);
  } else {
    bytes[at++] = 0xf0 | (cp >> 18);
    bytes[at++] = 0x80 | ((cp >> 12) & 0x3f);
    bytes[at++] = 0x80 | ((cp >> 6) & 0x3f);
    bytes[at++] = 0x80 | (cp & 0x3f);
  }
  return at;
}

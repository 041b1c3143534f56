/** Readable forms of tokens: what the token stands for in the text, not how the vocabulary spells it. */

import { byteLevelBytes } from './byteLevel';
import { metaspaceBytes } from './metaspace';
import type { Pipeline } from './pipeline';

/**
 * A readable form of a vocabulary token (not an added one): byte-level `Ġthe` → ` the`,
 * SentencePiece `▁the` → ` the`, `<0x0A>` → `\n`. Other vocabularies show the token as it is.
 */
export function displayToken(token: string, pipeline: Pipeline): string {
  switch (pipeline.strategy) {
    case 'byte-level':
      return displayBytes(byteLevelBytes(token));
    case 'metaspace':
      return displayBytes(metaspaceBytes(token, pipeline));
    default:
      return token;
  }
}

/**
 * Bytes as display text: well-formed UTF-8 is decoded, any other byte is shown as `<0xNN>`
 * (the notation SentencePiece vocabularies use), so a token holding half a character stays readable.
 */
function displayBytes(bytes: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    // A lead byte says how many continuation bytes follow; C0, C1 and F5..FF never lead.
    const extra = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    let cp = extra === 1 ? b & 0x1f : extra === 2 ? b & 0x0f : b & 0x07;
    let ok = extra > 0 && i + extra < bytes.length;
    for (let k = 1; ok && k <= extra; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    if (ok) {
      // Overlong forms, surrogates and code points past U+10FFFF are not well-formed.
      const min = extra === 1 ? 0x80 : extra === 2 ? 0x800 : 0x10000;
      ok = cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    }
    if (ok) {
      out += String.fromCodePoint(cp);
      i += extra + 1;
    } else {
      out += `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      i++;
    }
  }
  return out;
}

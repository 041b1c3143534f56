/**
 * SentencePiece-style vocabularies (Llama, Mistral, T5...): `▁` (the Metaspace replacement)
 * stands for a space, and with byte fallback `<0xNN>` is one byte of text that no piece spells.
 */

import { plainUnits, type Unit } from './alignSection';
import type { Pipeline } from './pipeline';
import { utf8 } from './text';

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

/** What a metaspace token stands for in the text, one unit a byte. */
export function metaspaceUnits(token: string, pipeline: Pipeline): Unit[] {
  const byte = pipeline.byteFallback ? BYTE_TOKEN.exec(token) : null;
  if (byte !== null) return [{ bytes: [parseInt(byte[1], 16)], space: false }];
  const units: Unit[] = [];
  for (const c of token) {
    // A space in the text, unless a normalizer already wrote `▁` there (Llama's legacy Replace).
    if (c === pipeline.spaceChar) units.push({ bytes: [0x20], alt: utf8(c), space: true });
    else units.push(...plainUnits(utf8(c)));
  }
  return units;
}

/** The bytes a metaspace token stands for (`▁the` → ` the`, `<0x0A>` → `\n`). */
export function metaspaceBytes(token: string, pipeline: Pipeline): number[] {
  return metaspaceUnits(token, pipeline).flatMap((unit) => unit.bytes);
}

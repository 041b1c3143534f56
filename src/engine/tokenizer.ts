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
 */

import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Tokenizer as HfTokenizer } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import { EngineError } from './errors';

// The package's types are ESM-only, but it ships a CommonJS build, which is what this CommonJS
// module (and the esbuild bundle) load.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer } = require('@huggingface/tokenizers') as { Tokenizer: typeof HfTokenizer };

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

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Bytes

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

const utf8Encoder = new TextEncoder();
function utf8(text: string): number[] {
  return Array.from(utf8Encoder.encode(text));
}

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

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
    const extra = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    let cp = extra === 1 ? b & 0x1f : extra === 2 ? b & 0x0f : b & 0x07;
    let ok = extra > 0 && i + extra < bytes.length;
    for (let k = 1; ok && k <= extra; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    if (ok) {
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

// ---------------------------------------------------------------------------------------------
// Normalized view of a section of the text, aligned to the original

/** One normalized step we can track character by character. */
type NormStep =
  | { kind: 'lowercase' }
  | { kind: 'unicode'; form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD' }
  | { kind: 'strip-marks' }
  | { kind: 'replace'; pattern: string; content: string };

/** Normalized characters, each with the original UTF-16 range it stands for. */
interface Chars {
  ch: string[];
  s: number[];
  e: number[];
}

const MARK = /^\p{M}$/u;
const WHITESPACE = /\s/u;

/** Whether `next` changes how `run` normalizes (it composes with it, or reorders with its marks). */
function joins(run: string, next: string, form: string): boolean {
  return (run + next).normalize(form) !== run.normalize(form) + next.normalize(form);
}

function applyStep(input: Chars, step: NormStep): Chars {
  const out: Chars = { ch: [], s: [], e: [] };
  const push = (ch: string, s: number, e: number): void => {
    out.ch.push(ch);
    out.s.push(s);
    out.e.push(e);
  };
  const n = input.ch.length;
  switch (step.kind) {
    case 'lowercase':
      // One character in, any number out: every output character stands for the input one.
      for (let i = 0; i < n; i++) for (const c of input.ch[i].toLowerCase()) push(c, input.s[i], input.e[i]);
      return out;
    case 'strip-marks':
      for (let i = 0; i < n; i++) if (!MARK.test(input.ch[i])) push(input.ch[i], input.s[i], input.e[i]);
      return out;
    case 'unicode': {
      // Normalize runs of characters that interact (a base and the marks composed with it,
      // Hangul jamo), one run at a time. Aligned as Hugging Face does: the first output character
      // stands for the first input one, the last outputs for the last inputs (characters swallowed
      // by a composition are covered by nothing), and extra outputs of a decomposition stand for
      // the last input.
      let i = 0;
      while (i < n) {
        let run = input.ch[i];
        let j = i + 1;
        // (Below U+0300 nothing combines with what precedes it: the usual case costs no normalize.)
        while (j < n && (input.ch[j].codePointAt(0) ?? 0) >= 0x300 && joins(run, input.ch[j], step.form)) {
          run += input.ch[j];
          j++;
        }
        const k = j - i;
        const normalized = Array.from(run.normalize(step.form));
        const m = normalized.length;
        for (let q = 0; q < m; q++) {
          const src = i + (m <= k ? (q === 0 ? 0 : k - m + q) : Math.min(q, k - 1));
          push(normalized[q], input.s[src], input.e[src]);
        }
        i = j;
      }
      return out;
    }
    case 'replace': {
      const pattern = Array.from(step.pattern);
      const content = Array.from(step.content);
      let i = 0;
      while (i < n) {
        let hit = pattern.length > 0 && i + pattern.length <= n;
        for (let k = 0; hit && k < pattern.length; k++) if (input.ch[i + k] !== pattern[k]) hit = false;
        if (!hit) {
          push(input.ch[i], input.s[i], input.e[i]);
          i++;
          continue;
        }
        const s = input.s[i];
        const e = input.e[i + pattern.length - 1];
        for (const c of content) push(c, s, e);
        i += pattern.length;
      }
      return out;
    }
  }
}

/** UTF-8 bytes of a normalized section, each byte knowing its character's original range. */
interface View {
  bytes: Uint8Array;
  s: Int32Array;
  e: Int32Array;
  /** 1 where a character starts. */
  charStart: Uint8Array;
  /** 1 on the bytes of whitespace characters. */
  space: Uint8Array;
  /** First normalized character, for the prefix-space rules. */
  first: string | undefined;
}

function buildView(text: string, from: number, to: number, steps: readonly NormStep[]): View {
  let chars: Chars = { ch: [], s: [], e: [] };
  for (let i = from; i < to; ) {
    const cp = text.codePointAt(i) ?? 0;
    const width = cp > 0xffff ? 2 : 1;
    chars.ch.push(text.slice(i, i + width));
    chars.s.push(i);
    chars.e.push(i + width);
    i += width;
  }
  for (const step of steps) chars = applyStep(chars, step);

  const count = chars.ch.length;
  const capacity = 4 * count;
  const view: View = {
    bytes: new Uint8Array(capacity),
    s: new Int32Array(capacity),
    e: new Int32Array(capacity),
    charStart: new Uint8Array(capacity),
    space: new Uint8Array(capacity),
    first: chars.ch[0],
  };
  let at = 0;
  for (let i = 0; i < count; i++) {
    const c = chars.ch[i];
    let cp = c.codePointAt(0) ?? 0xfffd;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate, as TextEncoder writes it
    const start = at;
    if (cp < 0x80) {
      view.bytes[at++] = cp;
    } else if (cp < 0x800) {
      view.bytes[at++] = 0xc0 | (cp >> 6);
      view.bytes[at++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      view.bytes[at++] = 0xe0 | (cp >> 12);
      view.bytes[at++] = 0x80 | ((cp >> 6) & 0x3f);
      view.bytes[at++] = 0x80 | (cp & 0x3f);
    } else {
      view.bytes[at++] = 0xf0 | (cp >> 18);
      view.bytes[at++] = 0x80 | ((cp >> 12) & 0x3f);
      view.bytes[at++] = 0x80 | ((cp >> 6) & 0x3f);
      view.bytes[at++] = 0x80 | (cp & 0x3f);
    }
    view.s.fill(chars.s[i], start, at);
    view.e.fill(chars.e[i], start, at);
    view.charStart[start] = 1;
    if (cp <= 0x20 ? cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) : cp >= 0x80 && WHITESPACE.test(c)) view.space.fill(1, start, at);
  }
  view.bytes = view.bytes.subarray(0, at);
  view.s = view.s.subarray(0, at);
  view.e = view.e.subarray(0, at);
  view.charStart = view.charStart.subarray(0, at);
  view.space = view.space.subarray(0, at);
  return view;
}

// ---------------------------------------------------------------------------------------------
// Matching tokens to the view

/** Bytes one piece of a token stands for; `alt` is a second spelling (`▁` is a space or itself). */
interface Unit {
  bytes: readonly number[];
  alt?: readonly number[];
  /** The unit is a space, so it may be a prefix space the tokenizer added. */
  space: boolean;
}

interface TokenPlan {
  units: Unit[];
  /** An unknown-token placeholder: what it covers is found from its neighbours. */
  unknown: boolean;
}

function plainUnits(bytes: readonly number[]): Unit[] {
  return bytes.map((b) => ({ bytes: [b], space: b === 0x20 }));
}

function matchBytes(view: View, bytes: readonly number[], at: number): boolean {
  if (at + bytes.length > view.bytes.length) return false;
  for (let k = 0; k < bytes.length; k++) if (view.bytes[at + k] !== bytes[k]) return false;
  return true;
}

/** End of the match of `units` at byte `at`, or -1. */
function matchUnits(view: View, units: readonly Unit[], at: number): number {
  let pos = at;
  for (const unit of units) {
    if (matchBytes(view, unit.bytes, pos)) pos += unit.bytes.length;
    else if (unit.alt !== undefined && matchBytes(view, unit.alt, pos)) pos += unit.alt.length;
    else return -1;
  }
  return pos;
}

/**
 * How far ahead to look for a token that is not at the cursor (bytes): a little past text a
 * normalizer dropped, further past text an unknown token stands for.
 */
const SEARCH_WINDOW = 256;
const SEARCH_WINDOW_AFTER_UNKNOWN = 4096;

/**
 * Offsets of the tokens of one section. `prefix`: the first token starts with a space the
 * tokenizer added. `end` is where the section ends in the original text.
 */
function alignSection(view: View, plans: readonly TokenPlan[], prefix: boolean, end: number): Array<[number, number]> {
  const out = new Array<[number, number]>(plans.length);
  const n = view.bytes.length;
  const posAt = (b: number): number => (b < n ? view.s[b] : end);
  let cursor = 0;
  let pending: number[] = [];

  /** Share the bytes [cursor, to) among the tokens that could not be placed, one character each. */
  const settle = (to: number): void => {
    if (pending.length === 0) return;
    let starts: number[] = [];
    for (let b = cursor; b < to; b++) if (view.charStart[b] === 1 || b === cursor) starts.push(b);
    // Whitespace around the unplaced text is not theirs, unless it is all there is.
    const solid = starts.filter((b) => view.space[b] === 0);
    if (solid.length > 0) {
      const first = starts.indexOf(solid[0]);
      const last = starts.indexOf(solid[solid.length - 1]);
      to = last + 1 < starts.length ? starts[last + 1] : to;
      starts = starts.slice(first, last + 1);
    }
    const range = (first: number, last: number): [number, number] => {
      const stop = last + 1 < starts.length ? starts[last + 1] : to;
      let s = Infinity;
      let e = -Infinity;
      for (let b = starts[first]; b < stop; b++) {
        s = Math.min(s, view.s[b]);
        e = Math.max(e, view.e[b]);
      }
      return [s, e];
    };
    pending.forEach((token, k) => {
      if (k >= starts.length) out[token] = [posAt(to), posAt(to)];
      else if (k === pending.length - 1) out[token] = range(k, starts.length - 1);
      else out[token] = range(k, k);
    });
    pending = [];
  };

  plans.forEach((plan, t) => {
    if (plan.unknown) {
      pending.push(t);
      return;
    }
    let units = plan.units;
    const virtualPrefix = prefix && t === 0 && units.length > 0 && units[0].space;
    if (virtualPrefix) units = units.slice(1);
    let at = cursor;
    let stop = matchUnits(view, units, at);
    if (stop < 0) {
      const limit = Math.min(n, cursor + (pending.length > 0 ? SEARCH_WINDOW_AFTER_UNKNOWN : SEARCH_WINDOW));
      for (at = cursor + 1; at <= limit; at++) {
        stop = matchUnits(view, units, at);
        if (stop >= 0) break;
      }
    }
    if (stop < 0) {
      pending.push(t);
      return;
    }
    settle(at);
    let s = Infinity;
    let e = -Infinity;
    for (let b = at; b < stop; b++) {
      s = Math.min(s, view.s[b]);
      e = Math.max(e, view.e[b]);
    }
    if (virtualPrefix && at < n) {
      s = Math.min(s, view.s[at]);
      e = Math.max(e, view.e[at]);
    }
    out[t] = s === Infinity ? [posAt(at), posAt(at)] : [s, e];
    cursor = stop;
  });
  settle(n);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading the tokenizer.json pipeline

/** All objects of a component tree (Sequence members included), depth first. */
function components(node: unknown): Json[] {
  if (!isObject(node)) return [];
  const children = [node.normalizers, node.pretokenizers, node.processors, node.decoders]
    .filter(Array.isArray)
    .flatMap((list) => (list as unknown[]).flatMap(components));
  return [node, ...children];
}

function ofType(node: unknown, type: string): Json[] {
  return components(node).filter((c) => c.type === type);
}

/** Where the tokenizer puts a space in front of a section of text. */
type PrefixRule = 'none' | 'always' | 'unless-space' | 'first-unless-space';

interface TrimRule {
  addPrefixSpace: boolean;
}

interface AddedTokenInfo {
  id: number;
  content: string;
  special: boolean;
  normalized: boolean;
  lstrip: boolean;
  rstrip: boolean;
}

interface Pipeline {
  strategy: OffsetStrategy;
  steps: NormStep[];
  prefix: PrefixRule;
  /** Characters that stand for a space in token strings (`▁`). */
  spaceChars: string[];
  byteFallback: boolean;
  unkToken: string | undefined;
  /** Decorations of generic tokens: WordPiece `##`, BPE end-of-word suffix. */
  continuingPrefix: string | undefined;
  wordSuffix: string | undefined;
  trims: TrimRule[];
}

function readPipeline(json: Json): Pipeline {
  const model = isObject(json.model) ? json.model : {};
  const preTokenizers = components(json.pre_tokenizer);
  const decoders = components(json.decoder);
  const normalizers = components(json.normalizer);

  const steps: NormStep[] = [];
  let prepends = false;
  const collect = (node: unknown): void => {
    if (!isObject(node)) return;
    switch (node.type) {
      case 'Sequence':
        if (Array.isArray(node.normalizers)) node.normalizers.forEach(collect);
        return;
      case 'Lowercase':
        steps.push({ kind: 'lowercase' });
        return;
      case 'NFC':
      case 'NFD':
      case 'NFKC':
      case 'NFKD':
        steps.push({ kind: 'unicode', form: node.type });
        return;
      case 'StripAccents':
        steps.push({ kind: 'strip-marks' });
        return;
      case 'Prepend':
        prepends = typeof node.prepend === 'string' && node.prepend.length > 0;
        return;
      case 'Replace': {
        const pattern = isObject(node.pattern) ? node.pattern.String : undefined;
        if (typeof pattern === 'string' && typeof node.content === 'string') {
          steps.push({ kind: 'replace', pattern, content: node.content });
        }
        return;
      }
      case 'BertNormalizer': {
        const lowercase = node.lowercase !== false;
        if (lowercase) steps.push({ kind: 'lowercase' });
        const strip = node.strip_accents === null || node.strip_accents === undefined ? lowercase : node.strip_accents === true;
        if (strip) steps.push({ kind: 'unicode', form: 'NFD' }, { kind: 'strip-marks' });
        return;
      }
      default:
        // Precompiled, Strip, Replace with a regex...: treated as the identity. Tokens they
        // change are placed from their neighbours.
        return;
    }
  };
  collect(json.normalizer);

  const metaspace = [...preTokenizers, ...decoders].filter((c) => c.type === 'Metaspace');
  const replacement =
    metaspace.map((c) => c.replacement).find((r): r is string => typeof r === 'string' && r.length > 0) ?? '▁';
  const byteLevel = preTokenizers.some((c) => c.type === 'ByteLevel') || decoders.some((c) => c.type === 'ByteLevel');
  const byteFallback = model.byte_fallback === true || decoders.some((c) => c.type === 'ByteFallback');
  const replacesSpaces =
    normalizers.some((c) => c.type === 'Replace' && c.content === replacement) ||
    decoders.some((c) => c.type === 'Replace' && isObject(c.pattern) && c.pattern.String === replacement);
  const strategy: OffsetStrategy = byteLevel
    ? 'byte-level'
    : metaspace.length > 0 || byteFallback || replacesSpaces
      ? 'metaspace'
      : 'generic';

  let prefix: PrefixRule = 'none';
  if (prepends) {
    prefix = 'always';
  } else {
    const pre = preTokenizers.find((c) => c.type === 'Metaspace');
    const level = preTokenizers.find((c) => c.type === 'ByteLevel');
    if (pre !== undefined) {
      const scheme = pre.prepend_scheme ?? (pre.add_prefix_space === false ? 'never' : 'always');
      prefix = scheme === 'first' ? 'first-unless-space' : scheme === 'never' ? 'none' : 'unless-space';
    } else if (level !== undefined && level.add_prefix_space === true) {
      prefix = 'unless-space';
    }
  }

  const trims: TrimRule[] = components(json.post_processor).flatMap((c): TrimRule[] => {
    if (c.type === 'ByteLevel' && c.trim_offsets === true) return [{ addPrefixSpace: c.add_prefix_space !== false }];
    if (c.type === 'RobertaProcessing' && c.trim_offsets !== false) return [{ addPrefixSpace: c.add_prefix_space !== false }];
    return [];
  });

  // BPE and WordPiece name the unknown token; Unigram gives its index in the vocabulary.
  let unk = model.unk_token;
  if (typeof model.unk_id === 'number' && Array.isArray(model.vocab)) {
    const entry: unknown = model.vocab[model.unk_id];
    if (Array.isArray(entry)) unk = entry[0];
  }
  return {
    strategy,
    steps,
    prefix,
    spaceChars: strategy === 'metaspace' ? [replacement] : [],
    byteFallback,
    unkToken: typeof unk === 'string' ? unk : undefined,
    continuingPrefix:
      model.type === 'WordPiece'
        ? typeof model.continuing_subword_prefix === 'string'
          ? model.continuing_subword_prefix
          : '##'
        : undefined,
    wordSuffix: typeof model.end_of_word_suffix === 'string' && model.end_of_word_suffix ? model.end_of_word_suffix : undefined,
    trims,
  };
}

function readAddedTokens(json: Json): AddedTokenInfo[] {
  if (!Array.isArray(json.added_tokens)) return [];
  return json.added_tokens.flatMap((t: unknown): AddedTokenInfo[] => {
    if (!isObject(t) || typeof t.content !== 'string' || typeof t.id !== 'number' || t.content.length === 0) return [];
    const special = t.special === true;
    return [
      {
        id: t.id,
        content: t.content,
        special,
        normalized: typeof t.normalized === 'boolean' ? t.normalized : !special,
        lstrip: t.lstrip === true,
        rstrip: t.rstrip === true,
      },
    ];
  });
}

/**
 * A copy of tokenizer.json the JS package reads as the Rust crate does: missing pipeline keys
 * become null (the package requires them), and an old-style Metaspace `add_prefix_space: false`
 * becomes `prepend_scheme: "never"` (the package ignores `add_prefix_space` and would add one).
 */
function forLibrary(json: Json): Json {
  const copy: Json = { ...json };
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) {
    if (copy[key] === undefined) copy[key] = null;
  }
  if (!Array.isArray(copy.added_tokens)) copy.added_tokens = [];
  if (isObject(copy.pre_tokenizer)) {
    const pre = JSON.parse(JSON.stringify(copy.pre_tokenizer)) as Json;
    for (const c of ofType(pre, 'Metaspace')) {
      if (c.prepend_scheme === undefined) c.prepend_scheme = c.add_prefix_space === false ? 'never' : 'always';
    }
    copy.pre_tokenizer = pre;
  }
  return copy;
}

/** The string of a token setting in tokenizer_config.json: `"<s>"` or `{"content": "<s>", ...}`. */
function configToken(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

/** tokenizer_config.json with AddedToken objects flattened to strings, as the JS package expects. */
function configForLibrary(config: Json): Json {
  const copy: Json = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.endsWith('_token') && isObject(value)) {
      copy[key] = configToken(value);
    } else if (key === 'additional_special_tokens' && Array.isArray(value)) {
      copy[key] = value.map(configToken).filter((t): t is string => t !== undefined);
    } else {
      copy[key] = value;
    }
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------

interface Span {
  start: number;
  end: number;
  /** The added token written here, or undefined for ordinary text. */
  added?: AddedTokenInfo;
}

/** A model's tokenizer, loaded from its tokenizer.json. */
export class ModelTokenizer {
  /** Number of ids: one more than the largest id of the vocabulary and added tokens. */
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  /** How offsets are computed for this tokenizer. */
  readonly offsetStrategy: OffsetStrategy;

  private readonly tokenizer: HfTokenizer;
  private readonly pipeline: Pipeline;
  private readonly added: AddedTokenInfo[];
  private readonly addedByContent: Map<string, AddedTokenInfo>;
  /** Added tokens matched on the raw text, grouped by first UTF-16 unit, longest first. */
  private readonly splitters: Map<string, AddedTokenInfo[]>;
  private readonly specialIds: Set<number>;
  /** Bytes of each token string seen, for the offsets (bounded by the vocabulary). */
  private readonly plans = new Map<string, TokenPlan>();

  private constructor(tokenizer: HfTokenizer, json: Json, config: Json | undefined) {
    this.tokenizer = tokenizer;
    this.pipeline = readPipeline(json);
    this.offsetStrategy = this.pipeline.strategy;
    this.added = readAddedTokens(json);
    this.addedByContent = new Map(this.added.map((t) => [t.content, t]));
    this.specialIds = new Set(this.added.filter((t) => t.special).map((t) => t.id));
    this.splitters = new Map();
    const normalizes = isObject(json.normalizer);
    for (const token of this.added) {
      // As the JS package: tokens marked `normalized` are looked for after normalization.
      if (token.normalized && normalizes) continue;
      const list = this.splitters.get(token.content[0]) ?? [];
      list.push(token);
      this.splitters.set(token.content[0], list);
    }
    for (const list of this.splitters.values()) list.sort((a, b) => b.content.length - a.content.length);

    let maxId = -1;
    for (const id of tokenizer.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;

    const lookup = (token: string | undefined): number | undefined =>
      token === undefined ? undefined : tokenizer.token_to_id(token);
    const firstKnown = (candidates: string[]): number | undefined =>
      candidates.map((c) => this.addedByContent.get(c)?.id).find((id) => id !== undefined);
    if (config !== undefined && 'bos_token' in config) this.bosTokenId = lookup(configToken(config.bos_token));
    else this.bosTokenId = templateBos(json, lookup) ?? firstKnown(['<|begin_of_text|>', '<s>', '<bos>', '<|startoftext|>']);
    if (config !== undefined && 'eos_token' in config) this.eosTokenId = lookup(configToken(config.eos_token));
    else this.eosTokenId = firstKnown(['<|end_of_text|>', '</s>', '<eos>', '<|endoftext|>']);
  }

  /**
   * The tokenizer of a model folder: undefined when it has no tokenizer.json. tokenizer_config.json
   * is read too when present (special token names, BOS/EOS).
   */
  static async load(modelFolder: string): Promise<ModelTokenizer | undefined> {
    try {
      await stat(modelFolder);
    } catch (error) {
      throw new EngineError('FILE_NOT_FOUND', `Model folder ${modelFolder} cannot be read: ${errorMessage(error)}`, modelFolder);
    }
    const tokenizerFile = path.join(modelFolder, 'tokenizer.json');
    const tokenizerText = await readOptional(tokenizerFile);
    if (tokenizerText === undefined) return undefined;
    const configFile = path.join(modelFolder, 'tokenizer_config.json');
    const configText = await readOptional(configFile);
    let config: unknown;
    if (configText !== undefined) {
      try {
        config = JSON.parse(configText);
      } catch (error) {
        throw new EngineError('BAD_TOKENIZER', `${configFile} is not valid JSON: ${errorMessage(error)}`, configFile);
      }
      if (!isObject(config)) throw new EngineError('BAD_TOKENIZER', `${configFile} is not a JSON object`, configFile);
    }
    let json: unknown;
    try {
      json = JSON.parse(tokenizerText);
    } catch (error) {
      throw new EngineError('BAD_TOKENIZER', `${tokenizerFile} is not valid JSON: ${errorMessage(error)}`, tokenizerFile);
    }
    return ModelTokenizer.fromJson(json, config, tokenizerFile);
  }

  /**
   * A tokenizer from the parsed contents of tokenizer.json (and tokenizer_config.json).
   * `source` names the file in errors.
   */
  static fromJson(tokenizerJson: unknown, tokenizerConfig?: unknown, source = 'tokenizer.json'): ModelTokenizer {
    if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) {
      throw new EngineError('BAD_TOKENIZER', `${source} is not a tokenizer: it has no "model" object`, source);
    }
    const config = isObject(tokenizerConfig) ? tokenizerConfig : undefined;
    try {
      const tokenizer = new Tokenizer(forLibrary(tokenizerJson), configForLibrary(config ?? {}));
      return new ModelTokenizer(tokenizer, tokenizerJson, config);
    } catch (error) {
      if (error instanceof EngineError) throw error;
      throw new EngineError('BAD_TOKENIZER', `${source} cannot be used: ${errorMessage(error)}`, source);
    }
  }

  /** Token ids of a text, with their strings and the range of the text each covers. */
  encode(text: string, options: EncodeOptions = {}): TokenizedText {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const full = this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens });
    const content = addSpecialTokens ? this.tokenizer.encode(text, { add_special_tokens: false }).tokens : full.tokens;
    const offsets = full.tokens.map((): [number, number] => [0, 0]);
    let contentOffsets: Array<[number, number]>;
    try {
      contentOffsets = this.contentOffsets(text, content);
    } catch {
      contentOffsets = content.map((): [number, number] => [0, 0]); // never fail because of offsets
    }
    // The text's own tokens are a contiguous run of the post-processed ones.
    const at = findRun(full.tokens, content);
    if (at >= 0) contentOffsets.forEach((o, i) => (offsets[at + i] = o));
    return { ids: full.ids, tokens: full.tokens, offsets };
  }

  /** Text of token ids; special tokens are left out unless `skipSpecialTokens` is false. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (ids.length === 0) return ''; // the JS package throws on an empty list
    for (const id of ids) this.checkId(id);
    return this.tokenizer.decode([...ids], {
      skip_special_tokens: options.skipSpecialTokens ?? true,
      // Decode exactly: the tidy-ups of clean_up_tokenization_spaces change the text.
      clean_up_tokenization_spaces: false,
    });
  }

  /**
   * A readable form of one token: byte-level `Ġthe` → ` the`, SentencePiece `▁the` → ` the`,
   * `<0x0A>` → `\n`. Bytes that are not a whole UTF-8 character show as `<0xNN>`; added tokens
   * (`<s>`, `<|endoftext|>`) show as themselves.
   */
  tokenString(id: number): string {
    const token = this.checkId(id);
    if (this.addedByContent.has(token)) return token;
    switch (this.pipeline.strategy) {
      case 'byte-level':
        return displayBytes(Array.from(token).flatMap((c) => {
          const b = CHAR_TO_BYTE.get(c);
          return b === undefined ? utf8(c) : [b];
        }));
      case 'metaspace':
        return displayBytes(this.metaspaceBytes(token));
      default:
        return token;
    }
  }

  /** The vocabulary string of an id (`Ġthe`, `▁the`, `<0x0A>`), or undefined. */
  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.tokenizer.id_to_token(id) : undefined;
  }

  /** The id of a vocabulary string, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /** True for special tokens (BOS, EOS, padding, chat markers...). */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  // -------------------------------------------------------------------------------------------

  private checkId(id: number): string {
    const token = this.idToToken(id);
    if (token === undefined) {
      throw new EngineError('BAD_PROMPT', `Token id ${id} is not in the vocabulary (ids 0 to ${this.vocabSize - 1})`);
    }
    return token;
  }

  private metaspaceBytes(token: string): number[] {
    const byte = this.pipeline.byteFallback ? BYTE_TOKEN.exec(token) : null;
    if (byte !== null) return [parseInt(byte[1], 16)];
    let text = token;
    for (const c of this.pipeline.spaceChars) text = text.split(c).join(' ');
    return utf8(text);
  }

  /** Splits the text where added tokens are written in it, as the tokenizer does. */
  private spans(text: string): Span[] {
    const spans: Span[] = [];
    let textStart = 0;
    let i = 0;
    while (i < text.length) {
      const hit = this.splitters.get(text[i])?.find((t) => text.startsWith(t.content, i));
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

  private plan(token: string): TokenPlan {
    let plan = this.plans.get(token);
    if (plan === undefined) {
      plan = this.makePlan(token);
      this.plans.set(token, plan);
    }
    return plan;
  }

  private makePlan(token: string): TokenPlan {
    const p = this.pipeline;
    if (p.unkToken !== undefined && token === p.unkToken) return { units: [], unknown: true };
    if (this.addedByContent.has(token)) return { units: plainUnits(utf8(token)), unknown: false };
    switch (p.strategy) {
      case 'byte-level':
        return {
          units: plainUnits(Array.from(token).flatMap((c) => {
            const b = CHAR_TO_BYTE.get(c);
            return b === undefined ? utf8(c) : [b];
          })),
          unknown: false,
        };
      case 'metaspace': {
        const byte = p.byteFallback ? BYTE_TOKEN.exec(token) : null;
        if (byte !== null) return { units: [{ bytes: [parseInt(byte[1], 16)], space: false }], unknown: false };
        const units: Unit[] = [];
        for (const c of token) {
          if (p.spaceChars.includes(c)) units.push({ bytes: [0x20], alt: utf8(c), space: true });
          else units.push(...plainUnits(utf8(c)));
        }
        return { units, unknown: false };
      }
      default: {
        let text = token;
        if (p.continuingPrefix && text.startsWith(p.continuingPrefix) && text.length > p.continuingPrefix.length) {
          text = text.slice(p.continuingPrefix.length);
        }
        if (p.wordSuffix && text.endsWith(p.wordSuffix)) text = text.slice(0, -p.wordSuffix.length);
        return { units: plainUnits(utf8(text)), unknown: false };
      }
    }
  }

  /** Offsets of the text's own tokens (no post-processor tokens). */
  private contentOffsets(text: string, tokens: readonly string[]): Array<[number, number]> {
    const offsets = new Array<[number, number]>(tokens.length);
    const spans = this.spans(text);
    // For each span, the content of the next added token written in the text.
    const nextAdded = new Array<string | undefined>(spans.length);
    for (let i = spans.length - 1, next: string | undefined; i >= 0; i--) {
      nextAdded[i] = next;
      if (spans[i].added !== undefined) next = spans[i].added?.content;
    }
    let t = 0;
    spans.forEach((span, index) => {
      if (span.added !== undefined && tokens[t] === span.added.content) {
        offsets[t++] = [span.start, span.end];
        return;
      }
      // The tokens of this stretch of text run up to the next added token written in the text.
      const next = nextAdded[index];
      const from = t;
      while (t < tokens.length && tokens[t] !== next) t++;
      if (t === from) return;
      const view = buildView(text, span.start, span.end, this.pipeline.steps);
      const prefix = this.prefixed(view, index);
      const plans = tokens.slice(from, t).map((token) => this.plan(token));
      alignSection(view, plans, prefix, span.end).forEach((o, k) => (offsets[from + k] = o));
    });
    for (; t < tokens.length; t++) offsets[t] = [text.length, text.length];
    for (const rule of this.pipeline.trims) trimOffsets(tokens, offsets, rule);
    return offsets;
  }

  /** Whether the tokenizer puts a space in front of this section of text. */
  private prefixed(view: View, sectionIndex: number): boolean {
    const first = view.first;
    if (first === undefined) return false;
    const startsWithSpace = first === ' ' || this.pipeline.spaceChars.includes(first);
    switch (this.pipeline.prefix) {
      case 'always':
        return true;
      case 'unless-space':
        return !startsWithSpace;
      case 'first-unless-space':
        return sectionIndex === 0 && !startsWithSpace;
      default:
        return false;
    }
  }
}

/** Hugging Face's ByteLevel `trim_offsets`: leave the spaces a token starts or ends with out of its range. */
function trimOffsets(tokens: readonly string[], offsets: Array<[number, number]>, rule: TrimRule): void {
  const isSpace = (c: string): boolean => c === BYTE_TO_CHAR[0x20] || WHITESPACE.test(c);
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

/** Index where `run` starts inside `all`, or -1. */
function findRun(all: readonly string[], run: readonly string[]): number {
  for (let at = 0; at + run.length <= all.length; at++) {
    let ok = true;
    for (let k = 0; ok && k < run.length; k++) ok = all[at + k] === run[k];
    if (ok) return at;
  }
  return -1;
}

/** The special token a TemplateProcessing post-processor puts before the text, if any. */
function templateBos(json: Json, lookup: (token: string) => number | undefined): number | undefined {
  for (const processor of ofType(json.post_processor, 'TemplateProcessing')) {
    const single = processor.single;
    if (!Array.isArray(single) || !isObject(single[0]) || !isObject(single[0].SpecialToken)) continue;
    const name = single[0].SpecialToken.id;
    if (typeof name !== 'string') continue;
    const special = isObject(processor.special_tokens) ? processor.special_tokens[name] : undefined;
    const ids = isObject(special) && Array.isArray(special.ids) ? special.ids : [];
    return typeof ids[0] === 'number' ? ids[0] : lookup(name);
  }
  return undefined;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new EngineError('FILE_NOT_FOUND', `${file} cannot be read: ${errorMessage(error)}`, file);
  }
}

/**
 * Placing the tokens of one section of the text: each token's bytes are matched against the
 * section's normalized bytes with a cursor, and a matched token covers the original characters
 * of the bytes it matched. A token that cannot be matched (an `<unk>`, or text a normalizer not
 * modelled here changed) is given the stretch of text between its neighbours.
 */

import type { NormalizedView } from './normalizedView';

/** Bytes one piece of a token stands for; `alt` is a second spelling (`▁` is a space or itself). */
export interface Unit {
  bytes: readonly number[];
  alt?: readonly number[];
  /** The unit is a space, so it may be a prefix space the tokenizer added. */
  space: boolean;
}

/** What the aligner looks for to place one token. */
export interface TokenPlan {
  units: Unit[];
  /** An unknown-token placeholder: what it covers is found from its neighbours. */
  unknown: boolean;
}

/** One unit a byte: the token's bytes must all be in the text as they are. */
export function plainUnits(bytes: readonly number[]): Unit[] {
  return bytes.map((b) => ({ bytes: [b], space: b === 0x20 }));
}

/**
 * How far ahead to look for a token that is not at the cursor (bytes): a little past text a
 * normalizer dropped, further past text an unknown token stands for.
 */
const SEARCH_WINDOW = 256;
const SEARCH_WINDOW_AFTER_UNKNOWN = 4096;

/** `[start, end)` in UTF-16 units of the original text. */
export type Range = [start: number, end: number];

/**
 * Offsets of the tokens of one section. `prefix`: the first token starts with a space the
 * tokenizer added. `end` is where the section ends in the original text.
 */
export function alignSection(view: NormalizedView, plans: readonly TokenPlan[], prefix: boolean, end: number): Range[] {
  const out = new Array<Range>(plans.length);
  const n = view.bytes.length;
  const positionOf = (b: number): number => (b < n ? view.originalStart[b] : end);
  let cursor = 0;
  /** Tokens not placed yet: they share the text up to the next token placed. */
  let unplaced: number[] = [];
  const settle = (to: number): void => {
    if (unplaced.length === 0) return;
    const ranges = shareBytes(view, unplaced.length, cursor, to, positionOf);
    unplaced.forEach((token, k) => (out[token] = ranges[k]));
    unplaced = [];
  };

  plans.forEach((plan, t) => {
    if (plan.unknown) {
      unplaced.push(t);
      return;
    }
    // The prefix space the tokenizer added is not in the text: match the rest of the token.
    const virtualPrefix = prefix && t === 0 && plan.units.length > 0 && plan.units[0].space;
    const units = virtualPrefix ? plan.units.slice(1) : plan.units;
    const searchWindow = unplaced.length > 0 ? SEARCH_WINDOW_AFTER_UNKNOWN : SEARCH_WINDOW;
    const match = findUnits(view, units, cursor, Math.min(n, cursor + searchWindow));
    if (match === undefined) {
      unplaced.push(t);
      return;
    }
    const { at, stop } = match;
    settle(at);
    // A virtual prefix space takes the range of the character it was put in front of.
    const coverTo = virtualPrefix && at < n ? Math.max(stop, at + 1) : stop;
    out[t] = originalRange(view, at, coverTo) ?? [positionOf(at), positionOf(at)];
    cursor = stop;
  });
  settle(n);
  return out;
}

/** The first match of `units` that starts at a byte from `from` to `last`. */
function findUnits(view: NormalizedView, units: readonly Unit[], from: number, last: number): { at: number; stop: number } | undefined {
  for (let at = from; at <= last; at++) {
    const stop = matchUnits(view, units, at);
    if (stop >= 0) return { at, stop };
  }
  return undefined;
}

/** End of the match of `units` at byte `at`, or -1. */
function matchUnits(view: NormalizedView, units: readonly Unit[], at: number): number {
  let pos = at;
  for (const unit of units) {
    if (matchBytes(view, unit.bytes, pos)) pos += unit.bytes.length;
    else if (unit.alt !== undefined && matchBytes(view, unit.alt, pos)) pos += unit.alt.length;
    else return -1;
  }
  return pos;
}

function matchBytes(view: NormalizedView, bytes: readonly number[], at: number): boolean {
  if (at + bytes.length > view.bytes.length) return false;
  for (let k = 0; k < bytes.length; k++) if (view.bytes[at + k] !== bytes[k]) return false;
  return true;
}

/** The original range of the characters of bytes [from, to), or undefined when there are none. */
function originalRange(view: NormalizedView, from: number, to: number): Range | undefined {
  if (from >= to) return undefined;
  let start = Infinity;
  let end = -Infinity;
  for (let b = from; b < to; b++) {
    start = Math.min(start, view.originalStart[b]);
    end = Math.max(end, view.originalEnd[b]);
  }
  return [start, end];
}

/**
 * Ranges for `count` tokens that could not be placed, sharing the bytes [from, to) between them:
 * one character each in order, the last taking what is left. Whitespace around the text is not
 * theirs, unless it is all there is. Tokens beyond the characters get an empty range at the end.
 */
function shareBytes(
  view: NormalizedView,
  count: number,
  from: number,
  to: number,
  positionOf: (b: number) => number,
): Range[] {
  let starts: number[] = [];
  for (let b = from; b < to; b++) if (view.startsChar[b] === 1 || b === from) starts.push(b);
  const solid = starts.filter((b) => view.isSpace[b] === 0);
  if (solid.length > 0) {
    const first = starts.indexOf(solid[0]);
    const last = starts.indexOf(solid[solid.length - 1]);
    to = last + 1 < starts.length ? starts[last + 1] : to;
    starts = starts.slice(first, last + 1);
  }
  /** The range of characters `first` to `last` of `starts`. */
  const rangeOf = (first: number, last: number): Range => {
    const stop = last + 1 < starts.length ? starts[last + 1] : to;
    return originalRange(view, starts[first], stop) ?? [positionOf(stop), positionOf(stop)];
  };
  return Array.from({ length: count }, (_, k): Range => {
    if (k >= starts.length) return [positionOf(to), positionOf(to)];
    return rangeOf(k, k === count - 1 ? starts.length - 1 : k);
  });
}

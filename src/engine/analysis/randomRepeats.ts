/**
 * Repeated random token sequences for the head detectors, as TransformerLens's induction demos
 * make them (`generate_repeated_tokens`: [BOS] + r + r, r uniform random ids): on the second copy
 * an induction head attends to the token after the previous occurrence of the current token.
 *
 * The generator is deterministic and small enough to port exactly (test/fixtures/circuits/
 * generate_detectors.py has the same code), so golden values can be computed on the very
 * sequences we use:
 * - PRNG: mulberry32 seeded with the 32-bit `seed`; each call yields a uint32 u.
 * - A token is floor(u · n / 2³²) over the n = vocab − |specials| ordinary ids (exact in float64,
 *   since u · n < 2⁵³), mapped to the n-th id that is not a special, so the draw is uniform over
 *   [0, vocab) minus the BOS and EOS ids (no rejection loop).
 * - Sequences are drawn one after another: sequence b is r_b (length ids) repeated, with the BOS id
 *   prepended when the model's config names one.
 */
import type { RandomRepeats } from '../../protocol/engine';
import { EngineError } from '../errors';
import type { ModelSpec } from '../model/spec';

/** The default random-repeats setting: 50 random tokens repeated (TransformerLens/ARENA use 50), 4 sequences, seed 0. */
export const DEFAULT_RANDOM_LENGTH = 50;
export const DEFAULT_RANDOM_BATCH = 4;

/** mulberry32: a 32-bit state, one uint32 per call. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The BOS and EOS ids the model's config names (never drawn as random tokens). */
export function specialTokens(spec: ModelSpec): number[] {
  return [...new Set([spec.bosTokenId, spec.eosTokenId].filter((id): id is number => id !== undefined && id >= 0 && id < spec.dVocab))].sort(
    (a, b) => a - b,
  );
}

/** Tokens per sequence: 2·length, plus one for the BOS. */
export function repeatedLength(spec: ModelSpec, length: number): number {
  return 2 * length + (spec.bosTokenId !== undefined ? 1 : 0);
}

/** The default setting for this model: the length shrinks to fit short contexts. */
export function defaultRandomRepeats(spec: ModelSpec): RandomRepeats {
  const bos = spec.bosTokenId !== undefined ? 1 : 0;
  return { length: Math.max(1, Math.min(DEFAULT_RANDOM_LENGTH, Math.floor((spec.nCtx - bos) / 2))), batch: DEFAULT_RANDOM_BATCH, seed: 0 };
}

function checkSetting(spec: ModelSpec, setting: RandomRepeats): void {
  const { length, batch, seed } = setting;
  if (!Number.isSafeInteger(length) || length < 1) throw new EngineError('BAD_ARGUMENT', `the random length must be a positive integer, got ${String(length)}`);
  if (!Number.isSafeInteger(batch) || batch < 1 || batch > 4096) throw new EngineError('BAD_ARGUMENT', `the batch must be an integer from 1 to 4096, got ${String(batch)}`);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new EngineError('BAD_ARGUMENT', `the seed must be an integer from 0 to 4294967295, got ${String(seed)}`);
  const total = repeatedLength(spec, length);
  if (total > spec.nCtx) {
    const bos = spec.bosTokenId !== undefined ? 1 : 0;
    throw new EngineError(
      'BAD_ARGUMENT',
      `repeated random tokens of length ${length} make ${total} tokens per sequence but the model's context is ${spec.nCtx} tokens (use a length of at most ${Math.floor((spec.nCtx - bos) / 2)})`,
    );
  }
  if (specialTokens(spec).length >= spec.dVocab) throw new EngineError('BAD_ARGUMENT', 'the vocabulary has no ordinary tokens to draw');
}

/** `batch` sequences [BOS?] + r + r, each r `length` random ordinary ids. [batch][2·length (+1)] */
export function randomRepeatedTokens(spec: ModelSpec, setting: RandomRepeats): number[][] {
  checkSetting(spec, setting);
  const specials = specialTokens(spec);
  const ordinary = spec.dVocab - specials.length;
  const next = mulberry32(setting.seed);
  const draw = (): number => {
    let id = Math.floor((next() * ordinary) / 2 ** 32);
    for (const special of specials) if (id >= special) id++; // skip the specials, in increasing order
    return id;
  };
  return Array.from({ length: setting.batch }, () => {
    const half = Array.from({ length: setting.length }, draw);
    return [...(spec.bosTokenId !== undefined ? [spec.bosTokenId] : []), ...half, ...half];
  });
}

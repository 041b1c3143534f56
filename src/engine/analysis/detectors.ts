/**
 * Head detectors: how much of each head's attention goes where a previous-token, duplicate-token
 * or induction head would put it, scored exactly as TransformerLens's `detect_head`
 * (transformer_lens/head_detector.py) scores it with its defaults:
 *
 * - error_measure "mul": score = Σ(A ⊙ P) / ΣA over the whole [query, key] pattern A of one head on
 *   one sequence, P the 0/1 detection pattern; exclude_bos = exclude_current_token = False, so no
 *   position is left out (ΣA is then the number of positions).
 * - Patterns (lower-triangular, [query i, key j]):
 *   previous token  P[i][j] = 1 iff j = i − 1;
 *   duplicate token P[i][j] = 1 iff j < i and token[j] = token[i];
 *   induction       P[i][j] = 1 iff 1 ≤ j ≤ i and token[j − 1] = token[i] (j − 1 ≠ i): the key right
 *                   after an earlier occurrence of the current token (TL's duplicate pattern rolled
 *                   one column right, first column zeroed).
 * - A batch is scored per sequence and the per-sequence scores are averaged (TL's list-of-prompts
 *   path: `torch.stack(batch_scores).mean(0)`).
 *
 * Sink score (ours, TL has none): the attention each query pays to position 0, averaged over the
 * query positions 1 … n − 1 (query 0 can only attend to itself, so it is left out) and then over
 * the batch.
 *
 * Patterns are reduced on the backend inside a read-only hook on each layer's `hook_pattern` (one
 * batched matmul against the detection patterns), so only [batch, head, 5] sums per layer outlive
 * the forward pass: no layer's pattern is kept, and no logits are computed. Long batches run in
 * sub-batches of about TOKENS_PER_FORWARD tokens. Copying scores come from the weights
 * (spectrum.ts's allHeadSpectra), once per loaded model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HeadScores, HeadSpectrum, RandomRepeats } from '../../protocol/engine';
import { EngineError } from '../errors';
import { checkTokens } from '../model/forward';
import { HOOK, type HookFn } from '../model/hooks';
import type { TransformerModel } from '../model/model';
import { processingDescription } from './circuits';
import { randomRepeatedTokens } from './randomRepeats';
import { allHeadSpectra } from './spectrum';

/** What the detectors run on: one prompt, or repeated random tokens. */
export type DetectorInput = { readonly tokens: readonly number[] } | { readonly random: RandomRepeats };

/** Tokens per forward pass when scoring a batch (sequences are split into sub-batches of about this many). */
const TOKENS_PER_FORWARD = 2048;

/** Previous-token detection pattern, [query, key] row-major. */
export function previousTokenPattern(n: number): Float32Array {
  const p = new Float32Array(n * n);
  for (let i = 1; i < n; i++) p[i * n + i - 1] = 1;
  return p;
}

/** Duplicate-token detection pattern of one sequence, [query, key] row-major. */
export function duplicateTokenPattern(tokens: readonly number[]): Float32Array {
  const n = tokens.length;
  const p = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (tokens[j] === tokens[i]) p[i * n + j] = 1;
  return p;
}

/** Induction detection pattern of one sequence, [query, key] row-major. */
export function inductionPattern(tokens: readonly number[]): Float32Array {
  const n = tokens.length;
  const p = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 1; j <= i; j++) if (tokens[j - 1] === tokens[i] && j - 1 !== i) p[i * n + j] = 1;
  return p;
}

function cancelled(): EngineError {
  return new EngineError('CANCELLED', 'the head scores were cancelled');
}

/** Columns of the per-sequence weight matrix `scoreBatch` reduces each head's pattern with. */
const PREVIOUS = 0;
const DUPLICATE = 1;
const INDUCTION = 2;
const TOTAL = 3;
const SINK = 4;
const KINDS = 5;

/**
 * Per-sequence weights [batch, query·key, kind]: the three detection patterns, ones (for ΣA), and
 * 1/(n − 1) on key 0 of queries 1 … n − 1 (the sink mean). A pattern [batch, head, query·key]
 * times this is every sum the scores need, in one batched matmul.
 */
function scoreWeights(sequences: readonly (readonly number[])[]): Float32Array {
  const n = sequences[0]!.length;
  const cells = n * n;
  const weights = new Float32Array(sequences.length * cells * KINDS);
  const previous = previousTokenPattern(n);
  sequences.forEach((tokens, b) => {
    const duplicate = duplicateTokenPattern(tokens);
    const induction = inductionPattern(tokens);
    const base = b * cells * KINDS;
    for (let cell = 0; cell < cells; cell++) {
      const row = base + cell * KINDS;
      weights[row + PREVIOUS] = previous[cell]!;
      weights[row + DUPLICATE] = duplicate[cell]!;
      weights[row + INDUCTION] = induction[cell]!;
      weights[row + TOTAL] = 1;
    }
    for (let q = 1; q < n; q++) weights[base + q * n * KINDS + SINK] = 1 / (n - 1);
  });
  return weights;
}

/** Per-sequence sums of one sub-batch, per layer: [batch, head, kind] (kinds as the constants above). */
async function scoreBatch(model: TransformerModel, sequences: readonly (readonly number[])[], signal?: AbortSignal): Promise<Float32Array[]> {
  const spec = model.spec;
  const batch = sequences.length;
  const n = sequences[0]!.length;
  const weights = tf.tensor3d(scoreWeights(sequences), [batch, n * n, KINDS]);
  const perLayer: (tf.Tensor | undefined)[] = new Array(spec.nLayers);
  try {
    const hooks = new Map<string, HookFn>();
    for (let layer = 0; layer < spec.nLayers; layer++) {
      hooks.set(HOOK.pattern(layer), (pattern) => {
        // pattern [batch, head, query, key] → [batch, head, query·key] @ [batch, query·key, kind] → [batch, head, kind]
        perLayer[layer] = tf.keep(tf.tidy(() => tf.matMul(tf.reshape(pattern, [batch, spec.nHeads, n * n]), weights)));
      });
    }
    const result = await model.runWithHooks(sequences, hooks, { logits: 'none', loss: false, signal });
    result.dispose();
    const out: Float32Array[] = [];
    for (const sums of perLayer) out.push((await sums!.data()) as Float32Array);
    return out;
  } finally {
    weights.dispose();
    perLayer.forEach((t) => t?.dispose());
  }
}

/** Spectra of every head by the weights they came from: they depend on nothing else, and cost more than the detectors. */
const spectraByWeights = new WeakMap<object, readonly HeadSpectrum[]>();

/**
 * Every head's spectrum at once (spectrum.ts's allHeadSpectra: two d_model × d_model Grams instead
 * of a pass over the vocabulary per head; headSpectrum's numbers up to float32 rounding),
 * computed once per loaded model.
 */
async function copyingSpectra(model: TransformerModel, signal?: AbortSignal): Promise<readonly HeadSpectrum[]> {
  const key = model.weights;
  let spectra = spectraByWeights.get(key);
  if (!spectra) {
    spectra = await allHeadSpectra(model, { signal });
    spectraByWeights.set(key, spectra);
  }
  return spectra;
}

/**
 * Detector, sink and copying scores of every head, on a prompt (`{tokens}`, one sequence of at
 * least 2 tokens) or on repeated random tokens (`{random}`, see randomRepeats.ts).
 */
export async function headScores(model: TransformerModel, input: DetectorInput, signal?: AbortSignal): Promise<HeadScores> {
  const spec = model.spec;
  const fromPrompt = 'tokens' in input;
  const sequences: readonly (readonly number[])[] = fromPrompt ? [input.tokens] : randomRepeatedTokens(spec, input.random);
  checkTokens(spec, sequences);
  const n = sequences[0]!.length;
  if (n < 2) throw new EngineError('BAD_PROMPT', 'head scores need at least 2 tokens (scores compare each position with earlier ones)');

  const { nLayers: layers, nHeads: heads } = spec;
  const size = layers * heads;
  const previousToken = new Float32Array(size);
  const duplicateToken = new Float32Array(size);
  const induction = new Float32Array(size);
  const sink = new Float32Array(size);
  // Per-sequence ratios accumulate in float64, then divide by the batch.
  const acc = [new Float64Array(size), new Float64Array(size), new Float64Array(size), new Float64Array(size)];
  const perForward = Math.max(1, Math.floor(TOKENS_PER_FORWARD / n));
  for (let start = 0; start < sequences.length; start += perForward) {
    if (signal?.aborted) throw cancelled();
    const chunk = sequences.slice(start, start + perForward);
    const b = chunk.length;
    const sums = await scoreBatch(model, chunk, signal);
    sums.forEach((values, layer) => {
      // values [batch, head, kind]
      for (let s = 0; s < b; s++) {
        for (let h = 0; h < heads; h++) {
          const i = layer * heads + h;
          const at = (kind: number) => values[(s * heads + h) * KINDS + kind]!;
          const mass = at(TOTAL); // ΣA: n, up to rounding (no position is excluded)
          acc[0]![i] += at(PREVIOUS) / mass;
          acc[1]![i] += at(DUPLICATE) / mass;
          acc[2]![i] += at(INDUCTION) / mass;
          acc[3]![i] += at(SINK);
        }
      }
    });
  }
  const count = sequences.length;
  for (let i = 0; i < size; i++) {
    previousToken[i] = acc[0]![i]! / count;
    duplicateToken[i] = acc[1]![i]! / count;
    induction[i] = acc[2]![i]! / count;
    sink[i] = acc[3]![i]! / count;
  }

  if (signal?.aborted) throw cancelled();
  const spectra = await copyingSpectra(model, signal);
  const copyingOV = Float32Array.from(spectra, (s) => s.copyingOV);
  const copyingQK = Float32Array.from(spectra, (s) => s.copyingQK);

  return {
    layers,
    heads,
    source: fromPrompt ? 'prompt' : 'random',
    previousToken,
    duplicateToken,
    induction,
    sink,
    copyingOV,
    copyingQK,
    processing: `detector and sink scores: the exact forward pass on ${
      fromPrompt ? `the prompt (${n} tokens)` : `${count} repeated random sequences of ${n} tokens`
    }; copying scores: ${processingDescription(spec)}`,
  };
}

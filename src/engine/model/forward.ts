/**
 * The forward pass, top to bottom: embed → blocks → final norm → unembed → loss. One `tf.tidy`
 * per block; every intermediate passes through a TransformerLens-named hook point where it can be
 * kept in the cache (only when asked for) or replaced by a hook.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../errors';
import { attention, attentionMask, type HookPoint } from './attention';
import { checkHookNames, HOOK, type HookFn } from './hooks';
import { activate, linear, normalize } from './layers';
import { rotaryTables, type RotaryTables } from './rotary';
import type { ModelSpec } from './spec';
import type { BlockWeights, DeviceWeights, MlpWeights } from './weights';

export interface ForwardOptions {
  /** Hook names whose activations to keep and return (nothing is kept unless asked). */
  readonly cache?: Iterable<string>;
  /** Hook functions by hook name; each may read or replace its activation. */
  readonly hooks?: ReadonlyMap<string, HookFn>;
  /**
   * Which positions' logits to return: every position, only the last, or none. Default 'all'.
   * With 'none' and no loss, only the blocks up to the last one a hook or cache name reads run.
   */
  readonly logits?: 'all' | 'last' | 'none';
  /** Compute per-position next-token loss (needs every position's logits internally). Default true. */
  readonly loss?: boolean;
  /** Checked between blocks: aborting throws EngineError CANCELLED and frees everything. */
  readonly signal?: AbortSignal;
}

export interface ForwardResult {
  /** [batch, pos, d_vocab], or [batch, 1, d_vocab] for logits: 'last'; absent for 'none'. */
  readonly logits?: tf.Tensor3D;
  /** Next-token cross-entropy at each position that has a next token. [batch, pos − 1] */
  readonly loss?: tf.Tensor2D;
  /** Captured activations by hook name (shapes documented in hooks.ts). */
  readonly cache: ReadonlyMap<string, tf.Tensor>;
  /** Frees every tensor of this result. */
  dispose(): void;
}

/** Checks a batch of token sequences against the model before anything is allocated. */
export function checkTokens(spec: ModelSpec, tokens: readonly (readonly number[])[]): void {
  if (tokens.length === 0 || tokens[0]!.length === 0) throw new EngineError('BAD_PROMPT', 'the prompt has no tokens');
  const length = tokens[0]!.length;
  for (const sequence of tokens) {
    if (sequence.length !== length) throw new EngineError('BAD_PROMPT', 'all sequences in a batch must have the same number of tokens');
    for (const id of sequence) {
      if (!Number.isInteger(id) || id < 0 || id >= spec.dVocab) {
        throw new EngineError('BAD_PROMPT', `token id ${id} is outside the model's vocabulary (0 to ${spec.dVocab - 1})`);
      }
    }
  }
  if (length > spec.nCtx) {
    throw new EngineError('BAD_PROMPT', `the prompt has ${length} tokens but the model's context is ${spec.nCtx} tokens`);
  }
}

/** Tensors shared by every block of one forward: masks per window size, rotary tables. */
interface ForwardConstants {
  readonly masks: Map<number | null, tf.Tensor2D>;
  readonly rotary?: RotaryTables;
}

function makeConstants(spec: ModelSpec, nPos: number): ForwardConstants {
  const masks = new Map<number | null, tf.Tensor2D>();
  for (const window of new Set(spec.attnWindow)) masks.set(window, attentionMask(nPos, window));
  return { masks, rotary: spec.rotary ? rotaryTables(spec.rotary, nPos) : undefined };
}

function disposeConstants(constants: ForwardConstants): void {
  constants.masks.forEach((mask) => mask.dispose());
  constants.rotary?.cos.dispose();
  constants.rotary?.signedSin.dispose();
}

/** MLP over normalized input. [batch, pos, d_model] → [batch, pos, d_model] */
function mlp(spec: ModelSpec, layer: number, hook: HookPoint, xNorm: tf.Tensor, w: MlpWeights<tf.Tensor>): tf.Tensor {
  let hidden: tf.Tensor; // [batch, pos, d_mlp]
  if (w.wGate) {
    const pre = hook(HOOK.mlpPre(layer), linear(xNorm, w.wGate, w.bGate));
    const preLinear = hook(HOOK.mlpPreLinear(layer), linear(xNorm, w.wIn, w.bIn));
    hidden = hook(HOOK.mlpPost(layer), tf.mul(activate(spec.activation, pre), preLinear));
  } else {
    const pre = hook(HOOK.mlpPre(layer), linear(xNorm, w.wIn, w.bIn));
    hidden = hook(HOOK.mlpPost(layer), activate(spec.activation, pre));
  }
  return hook(HOOK.mlpOut(layer), linear(hidden, w.wOut, w.bOut));
}

/** One transformer block. [batch, pos, d_model] → [batch, pos, d_model] */
function block(
  spec: ModelSpec,
  layer: number,
  constants: ForwardConstants,
  hook: HookPoint,
  residPre: tf.Tensor,
  w: BlockWeights<tf.Tensor>,
): tf.Tensor {
  const x = hook(HOOK.residPre(layer), residPre);
  const ctx = { spec, layer, hook, mask: constants.masks.get(spec.attnWindow[layer]!)!, rotary: constants.rotary };
  const attnOut = attention(ctx, hook(HOOK.ln1Normalized(layer), normalize(spec, x, w.ln1)), w.attn);
  if (spec.parallelAttnMlp) {
    // GPT-NeoX: both read the block input; x + attn + mlp.
    const mlpOut = mlp(spec, layer, hook, hook(HOOK.ln2Normalized(layer), normalize(spec, x, w.ln2)), w.mlp);
    return hook(HOOK.residPost(layer), tf.add(tf.add(mlpOut, attnOut), x));
  }
  const residMid = hook(HOOK.residMid(layer), tf.add(x, attnOut));
  const mlpOut = mlp(spec, layer, hook, hook(HOOK.ln2Normalized(layer), normalize(spec, residMid, w.ln2)), w.mlp);
  return hook(HOOK.residPost(layer), tf.add(residMid, mlpOut));
}

/**
 * Next-token cross-entropy, logsumexp(logits) − logit[target]: no log-softmax over the vocabulary
 * (each full-vocabulary pass costs as much as a layer's matmuls at small sizes), and the targets'
 * logits are gathered straight from `logits`. [batch, pos, vocab], tokens [batch, pos] → [batch, pos − 1]
 */
function nextTokenLoss(logits: tf.Tensor3D, tokens: number[][]): tf.Tensor2D {
  const [batch, pos, vocab] = logits.shape;
  // Every position's logsumexp (the last one's is unused: cheaper than slicing the logits).
  const logNorm = tf.slice(tf.logSumExp(logits, -1), [0, 0], [batch, pos - 1]); // [batch, pos − 1]
  // Flat index of each predicting position's target logit; a plain 1-D gather works on every
  // backend (batched gathers do not on wasm).
  const targetIndex = new Int32Array(batch * (pos - 1));
  tokens.forEach((sequence, b) => {
    for (let p = 0; p + 1 < pos; p++) targetIndex[b * (pos - 1) + p] = (b * pos + p) * vocab + sequence[p + 1]!;
  });
  const picked = tf.gather(tf.reshape(logits, [batch * pos * vocab]), tf.tensor1d(targetIndex, 'int32')); // [batch·(pos − 1)]
  return tf.sub(logNorm, tf.reshape(picked, [batch, pos - 1]));
}

function cancelled(): EngineError {
  return new EngineError('CANCELLED', 'the forward pass was cancelled');
}

/** How many blocks must run for these hooks: up to the last `blocks.{l}.…` named, all for any other hook. */
function blocksNeeded(spec: ModelSpec, hookNames: readonly string[]): number {
  let needed = 0;
  for (const name of hookNames) {
    const layer = /^blocks\.(\d+)\./.exec(name);
    if (!layer) {
      if (name === HOOK.embed || name === HOOK.posEmbed) continue;
      return spec.nLayers; // ln_final and anything past the blocks
    }
    needed = Math.max(needed, Number(layer[1]) + 1);
  }
  return needed;
}

/** Runs the model on a batch of equal-length token sequences. */
export async function forward(
  spec: ModelSpec,
  weights: DeviceWeights,
  tokens: readonly (readonly number[])[],
  options: ForwardOptions = {},
): Promise<ForwardResult> {
  checkTokens(spec, tokens);
  const wanted = new Set(options.cache ?? []);
  const hooks = options.hooks ?? new Map<string, HookFn>();
  checkHookNames(spec, [...wanted, ...hooks.keys()]);
  const cache = new Map<string, tf.Tensor>();
  const disposeAll = () => cache.forEach((t) => t.dispose());

  const hook: HookPoint = (name, activation) => {
    let out = activation;
    const fn = hooks.get(name);
    if (fn) {
      const replaced = fn(activation, name);
      if (replaced) {
        if (!tf.util.arraysEqual(replaced.shape, activation.shape)) {
          throw new EngineError('BAD_ARGUMENT', `hook on "${name}" returned shape [${replaced.shape}] instead of [${activation.shape}]`);
        }
        out = replaced;
      }
    }
    if (wanted.has(name)) cache.set(name, tf.keep(out));
    return out;
  };

  const isCached = (t: tf.Tensor) => [...cache.values()].includes(t);

  const nPos = tokens[0]!.length;
  const constants = makeConstants(spec, nPos);
  const tokenTensor = tf.tensor2d(tokens as number[][], [tokens.length, nPos], 'int32'); // [batch, pos]
  let residual: tf.Tensor | undefined;
  try {
    residual = tf.tidy(() => {
      const embed = hook(HOOK.embed, tf.gather(weights.wE, tokenTensor)); // [batch, pos, d_model]
      if (!weights.wPos) return embed;
      const positions = tf.expandDims(tf.slice(weights.wPos, [0, 0], [nPos, spec.dModel]), 0); // [1, pos, d_model]
      const posEmbed = hook(HOOK.posEmbed, tf.tile(positions, [tokens.length, 1, 1]));
      return tf.add(embed, posEmbed);
    });
    const wantLogits = options.logits ?? 'all';
    const wantLoss = (options.loss ?? true) && nPos > 1;
    // With no logits or loss asked for, the blocks after the last one a hook reads change nothing
    // the caller sees (TransformerLens's stop_at_layer, chosen from the hooks themselves).
    const needsOutput = wantLogits !== 'none' || wantLoss;
    const blocksToRun = needsOutput ? spec.nLayers : blocksNeeded(spec, [...wanted, ...hooks.keys()]);
    for (let layer = 0; layer < blocksToRun; layer++) {
      if (options.signal) {
        await new Promise((resolve) => setImmediate(resolve)); // let a cancel message arrive
        if (options.signal.aborted) throw cancelled();
      }
      const input: tf.Tensor = residual;
      residual = tf.tidy(() => block(spec, layer, constants, hook, input, weights.blocks[layer]!));
      if (!isCached(input)) input.dispose();
    }
    const finalResidual: tf.Tensor = residual;
    const { logits, loss } = tf.tidy(() => {
      if (blocksToRun < spec.nLayers) return {};
      const normalized = hook(HOOK.lnFinalNormalized, normalize(spec, finalResidual, weights.lnFinal));
      if (wantLogits === 'none' && !wantLoss) return {};
      // Only the last position's unembedding is needed when no loss is asked for.
      const reading = wantLoss || wantLogits === 'all' ? normalized : tf.slice(normalized, [0, nPos - 1, 0], [-1, 1, -1]);
      const all = linear(reading, weights.wU, weights.bU) as tf.Tensor3D; // [batch, pos, vocab]
      const loss = wantLoss ? nextTokenLoss(all, tokens as number[][]) : undefined;
      const logits = wantLogits === 'last' && reading === normalized ? tf.slice(all, [0, nPos - 1, 0], [-1, 1, -1]) : all;
      return { logits: wantLogits === 'none' ? undefined : (logits as tf.Tensor3D), loss };
    });
    if (!isCached(finalResidual)) finalResidual.dispose();
    residual = undefined;
    return {
      logits,
      loss,
      cache,
      dispose: () => {
        disposeAll();
        logits?.dispose();
        loss?.dispose();
      },
    };
  } catch (error) {
    if (residual && !isCached(residual)) residual.dispose();
    disposeAll();
    throw error;
  } finally {
    tokenTensor.dispose();
    disposeConstants(constants);
  }
}

/**
 * Direct logit attribution (Elhage et al. 2021; TransformerLens's `cache.stack_head_results` /
 * `cache.decompose_resid` → `cache.apply_ln_to_stack(layer=-1, pos_slice=position)` → · W_U[:, t]
 * (− W_U[:, c])) at one position of one sequence, on the weights TransformerLens's
 * `from_pretrained` processes by default (see processedWeights.ts), and the logit lens.
 *
 * The residual stream entering the unembedding is a sum of components: the embeddings, each
 * layer's attention output (each head's z_h W_O^h plus the output bias) and each MLP output. The
 * final norm is linear given its scale s at that position (LayerNorm: √(var + ε) with the mean
 * removed; RMSNorm: √(mean(x²) + ε)), so component c contributes c · u / s to the logit, with u
 * the processed unembedding direction: ln_final's scale folded into W_U, centered over d_model
 * (LayerNorm) and over the vocabulary, W_U[:, target] − W_U[:, contrast]. Because of the
 * vocabulary centering, a single target's attributed quantity is logit(target) minus the mean
 * logit (what TransformerLens's processed model outputs); differences are unaffected.
 *
 * Exactly, at `position`:
 *   embed + Σ_l attn[l] + Σ_l mlp[l] + unembedBias = logit
 *   Σ_h heads[l, h] + attnBias[l] = attn[l]
 * where a head's contribution uses TransformerLens's processed z (fold_value_biases moves the
 * value bias b_V + ln1.b·W_V out of every head into b_O, since patterns sum to 1), so attnBias is
 * b_O and the folded value biases; unembedBias is the processed b_U (b_U + ln_final.b·W_U,
 * centered over the vocabulary). The forward pass itself runs on the raw weights: z − b_V^fold,
 * attention and MLP outputs are read from its cache; centering them is unnecessary because u is
 * centered.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Attribution } from '../../protocol/engine';
import { EngineError } from '../errors';
import { checkTokens } from '../model/forward';
import { HOOK, type HookFn } from '../model/hooks';
import { linear, normalize } from '../model/layers';
import type { TransformerModel } from '../model/model';
import type { ModelSpec } from '../model/spec';
import type { DeviceWeights } from '../model/weights';
import { lensFromResiduals, lensHookNames } from './logitLens';
import { kvHeadOf } from './processedWeights';

export interface AttributionRequest {
  readonly tokens: readonly number[];
  /** Position whose next-token logits are attributed. */
  readonly position: number;
  /** Token whose logit is attributed (default: the model's top prediction at `position`). */
  readonly target?: number;
  /** Attribute logit(target) − logit(contrast) instead. */
  readonly contrast?: number;
  /** Predictions per layer for the logit lens (default 5). */
  readonly topK?: number;
  /** Replace activations during the forward pass (e.g. ablationHooks' hooks); the attribution is of the hooked run. */
  readonly hooks?: ReadonlyMap<string, HookFn>;
  /**
   * Layers whose whole attention output the hooks replace (attention-layer ablations): their heads'
   * z no longer adds up to the output, so those layers get no per-head split — the whole layer's
   * contribution is reported in attnBias and their heads read 0.
   */
  readonly replacedAttnLayers?: readonly number[];
}

function checkRequest(spec: ModelSpec, request: AttributionRequest): void {
  checkTokens(spec, [request.tokens]);
  const { position, target, contrast, topK } = request;
  const n = request.tokens.length;
  if (!Number.isInteger(position) || position < 0 || position >= n) {
    throw new EngineError('BAD_ARGUMENT', `position ${String(position)} is outside the prompt (0 to ${n - 1})`);
  }
  for (const [name, id] of [['target', target], ['contrast', contrast]] as const) {
    if (id !== undefined && (!Number.isInteger(id) || id < 0 || id >= spec.dVocab)) {
      throw new EngineError('BAD_ARGUMENT', `${name} token ${String(id)} is outside the model's vocabulary (0 to ${spec.dVocab - 1})`);
    }
  }
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) throw new EngineError('BAD_ARGUMENT', `topK must be a positive integer, got ${String(topK)}`);
}

/** The final norm's scale at one position of a residual [1, pos, d_model] → scalar. */
function finalNormScale(spec: ModelSpec, residual: tf.Tensor, position: number): tf.Scalar {
  const x = tf.reshape(tf.slice(residual, [0, position, 0], [1, 1, -1]), [-1]); // [d_model]
  const second = spec.normalization === 'layernorm' ? tf.moments(x).variance : tf.mean(tf.square(x));
  return tf.sqrt(tf.add(second, spec.normEps)) as tf.Scalar;
}

/**
 * The processed unembedding direction u [d_model] and bias term (scalar) for logit(target)
 * (− logit(contrast)): processedWeights.ts's `processedUnembed` for two columns, written so that
 * nothing vocabulary-sized is built but the mean of W_U over the vocabulary:
 *   column(t) = center_d_model(ln_final.w ⊙ (W_U[:, t] − mean_v W_U))   (centering: LayerNorm only)
 *   bias(t)   = b_U[t] + ln_final.b · W_U[:, t] − mean_v(b_U) − ln_final.b · mean_v W_U
 */
function unembedDirection(spec: ModelSpec, weights: DeviceWeights, target: number, contrast: number | undefined): { u: tf.Tensor1D; unembedBias: tf.Scalar } {
  const { wU, bU, lnFinal } = weights;
  const vocabMean = tf.mean(wU, 1); // [d_model]
  const rawColumn = (t: number) => tf.reshape(tf.slice(wU, [0, t], [spec.dModel, 1]), [spec.dModel]);
  const column = (t: number) => {
    const scaled = tf.mul(tf.sub(rawColumn(t), vocabMean), lnFinal.w);
    return spec.normalization === 'layernorm' ? tf.sub(scaled, tf.mean(scaled)) : scaled;
  };
  const bias = (t: number): tf.Tensor => {
    let b: tf.Tensor = tf.scalar(0);
    if (bU) b = tf.sub(tf.reshape(tf.slice(bU, [t], [1]), []), tf.mean(bU));
    if (lnFinal.b) b = tf.add(b, tf.sum(tf.mul(lnFinal.b, tf.sub(rawColumn(t), vocabMean))));
    return b;
  };
  if (contrast === undefined) return { u: column(target) as tf.Tensor1D, unembedBias: bias(target) as tf.Scalar };
  return { u: tf.sub(column(target), column(contrast)) as tf.Tensor1D, unembedBias: tf.sub(bias(target), bias(contrast)) as tf.Scalar };
}

/** One position of a cached [1, pos, …] activation → […]. */
function at(activation: tf.Tensor, position: number): tf.Tensor {
  const [, , ...rest] = activation.shape;
  return tf.reshape(tf.slice(activation, [0, position], [1, 1, ...rest.map(() => -1)]), rest);
}

/** Direct logit attribution at `position` and the logit lens of the whole sequence. */
export async function attribution(model: TransformerModel, request: AttributionRequest, signal?: AbortSignal): Promise<Attribution> {
  const spec = model.spec;
  checkRequest(spec, request);
  const { tokens, position, contrast } = request;
  const { nLayers: layers, nHeads: heads, dHead } = spec;
  const lensNames = lensHookNames(layers);
  const names = [...lensNames];
  for (let l = 0; l < layers; l++) names.push(HOOK.z(l), HOOK.attnOut(l), HOOK.mlpOut(l));
  const result = await model.run(tokens, { cache: names, hooks: request.hooks, logits: 'none', loss: false, signal });
  const outputs: tf.Tensor[] = [];
  try {
    const cache = result.cache;
    const weights = model.weights;
    // The logits at `position` only, from the final residual (the forward pass computes none).
    const logitsHere = tf.tidy(() => {
      const residual = tf.slice(cache.get(HOOK.residPost(layers - 1))!, [0, position, 0], [1, 1, -1]);
      return tf.reshape(linear(normalize(spec, residual, weights.lnFinal), weights.wU, weights.bU), [spec.dVocab]);
    });
    outputs.push(logitsHere);
    let target = request.target;
    if (target === undefined) {
      const top = tf.argMax(logitsHere);
      target = (await top.data())[0]!;
      top.dispose();
    }
    const attributed = target;

    const computed = tf.tidy(() => {
      const { u, unembedBias } = unembedDirection(spec, weights, attributed, contrast);
      const scale = finalNormScale(spec, cache.get(HOOK.residPost(layers - 1))!, position);
      const project = (v: tf.Tensor) => tf.div(tf.sum(tf.mul(v, u), -1), scale); // [..., d_model] → [...]

      const embed = project(at(cache.get(HOOK.residPre(0))!, position));
      const attn = project(tf.stack(Array.from({ length: layers }, (_, l) => at(cache.get(HOOK.attnOut(l))!, position)))); // [layer]
      const mlp = project(tf.stack(Array.from({ length: layers }, (_, l) => at(cache.get(HOOK.mlpOut(l))!, position)))); // [layer]

      const headRows: tf.Tensor[] = [];
      const biasRows: tf.Tensor[] = [];
      const replaced = new Set(request.replacedAttnLayers ?? []);
      for (let l = 0; l < layers; l++) {
        if (replaced.has(l)) {
          headRows.push(tf.zeros([heads]));
          biasRows.push(tf.reshape(tf.slice(attn, [l], [1]), []));
          continue;
        }
        const { attn: w, ln1 } = weights.blocks[l]!;
        const wOu = tf.reshape(tf.sum(tf.mul(w.wO, u), 1), [heads, dHead]); // W_O^h u per head [head, d_head]
        // Folded value bias b_V + ln1.b · W_V per kv head, repeated for the query heads reading it.
        let bVKv: tf.Tensor | undefined = w.bV;
        if (ln1.b) {
          const folded = tf.sum(tf.mul(w.wV, tf.reshape(ln1.b, [-1, 1])), 0); // [kv_head·d_head]
          bVKv = bVKv ? tf.add(bVKv, folded) : folded;
        }
        const z = at(cache.get(HOOK.z(l))!, position); // [head, d_head]
        let bias: tf.Tensor = w.bO ? tf.sum(tf.mul(w.bO, u)) : tf.scalar(0);
        let zProcessed = z;
        if (bVKv) {
          const perKv = tf.reshape(bVKv, [spec.nKvHeads, dHead]);
          const bV = tf.gather(perKv, tf.tensor1d(Array.from({ length: heads }, (_, h) => kvHeadOf(spec, h)), 'int32')); // [head, d_head]
          zProcessed = tf.sub(z, bV);
          bias = tf.add(bias, tf.sum(tf.mul(bV, wOu)));
        }
        headRows.push(tf.div(tf.sum(tf.mul(zProcessed, wOu), 1), scale)); // [head]
        biasRows.push(tf.div(bias, scale));
      }
      // The attributed value as the forward pass computed it.
      const logit = contrast === undefined ? tf.sub(tf.gather(logitsHere, [attributed]), tf.mean(logitsHere)) : tf.sub(tf.gather(logitsHere, [attributed]), tf.gather(logitsHere, [contrast]));
      return {
        embed,
        attn,
        mlp,
        heads: tf.concat(headRows), // [layer·head]
        attnBias: tf.stack(biasRows), // [layer]
        unembedBias,
        logit,
      };
    });
    outputs.push(...Object.values(computed));
    const lens = await lensFromResiduals(
      model,
      lensNames.map((name) => cache.get(name)!),
      request.topK ?? 5,
    );
    const number = async (t: tf.Tensor) => (await t.data())[0]!;
    return {
      position,
      target: attributed,
      ...(contrast !== undefined ? { contrast } : {}),
      heads: (await computed.heads.data()) as Float32Array,
      attn: (await computed.attn.data()) as Float32Array,
      mlp: (await computed.mlp.data()) as Float32Array,
      embed: await number(computed.embed),
      attnBias: (await computed.attnBias.data()) as Float32Array,
      unembedBias: await number(computed.unembedBias),
      logit: await number(computed.logit),
      lens,
    };
  } finally {
    outputs.forEach((t) => t.dispose());
    result.dispose();
  }
}

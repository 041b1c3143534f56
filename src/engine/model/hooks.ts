/**
 * Hook points, named as TransformerLens names them so users' muscle memory and notebooks carry
 * over. Every activation the forward pass produces passes through one of these names, where it can
 * be captured into a cache or read/replaced by a hook function.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../errors';
import type { ModelSpec } from './spec';

/**
 * A hook reads an activation and may return a replacement of the same shape (e.g. zeroing one
 * head's slice of `hook_z` to ablate it). Returning nothing keeps the activation. Called inside
 * the forward pass's `tf.tidy`: tensors it creates are cleaned up unless returned.
 */
export type HookFn = (activation: tf.Tensor, hookName: string) => tf.Tensor | void;

/** Names of the hook points and the shape of what flows through each. */
export const HOOK = {
  /** Token embeddings. [batch, pos, d_model] */
  embed: 'hook_embed',
  /** Learned position embeddings (learned-position models only). [batch, pos, d_model] */
  posEmbed: 'hook_pos_embed',
  /** Residual stream entering block `l`. [batch, pos, d_model] */
  residPre: (l: number) => `blocks.${l}.hook_resid_pre`,
  /** First norm's output, what attention reads. [batch, pos, d_model] */
  ln1Normalized: (l: number) => `blocks.${l}.ln1.hook_normalized`,
  /** Queries. [batch, pos, head, d_head] */
  q: (l: number) => `blocks.${l}.attn.hook_q`,
  /** Keys, one per key/value head. [batch, pos, kv_head, d_head] */
  k: (l: number) => `blocks.${l}.attn.hook_k`,
  /** Values, one per key/value head. [batch, pos, kv_head, d_head] */
  v: (l: number) => `blocks.${l}.attn.hook_v`,
  /** Queries after rotary embedding (rotary models only). [batch, pos, head, d_head] */
  rotQ: (l: number) => `blocks.${l}.attn.hook_rot_q`,
  /** Keys after rotary embedding (rotary models only). [batch, pos, kv_head, d_head] */
  rotK: (l: number) => `blocks.${l}.attn.hook_rot_k`,
  /** Scaled q·k with the causal (and window) mask applied as -Infinity. [batch, head, query_pos, key_pos] */
  attnScores: (l: number) => `blocks.${l}.attn.hook_attn_scores`,
  /** Attention probabilities. [batch, head, query_pos, key_pos] */
  pattern: (l: number) => `blocks.${l}.attn.hook_pattern`,
  /** Pattern-weighted values per head, before the output projection. [batch, pos, head, d_head] */
  z: (l: number) => `blocks.${l}.attn.hook_z`,
  /** Attention layer output. [batch, pos, d_model] */
  attnOut: (l: number) => `blocks.${l}.hook_attn_out`,
  /** Residual between attention and MLP (sequential blocks only). [batch, pos, d_model] */
  residMid: (l: number) => `blocks.${l}.hook_resid_mid`,
  /** Second norm's output, what the MLP reads. [batch, pos, d_model] */
  ln2Normalized: (l: number) => `blocks.${l}.ln2.hook_normalized`,
  /** MLP pre-activation (the gate's, for gated MLPs). [batch, pos, d_mlp] */
  mlpPre: (l: number) => `blocks.${l}.mlp.hook_pre`,
  /** Gated MLPs: the linear (up) branch. [batch, pos, d_mlp] */
  mlpPreLinear: (l: number) => `blocks.${l}.mlp.hook_pre_linear`,
  /** MLP hidden activation. [batch, pos, d_mlp] */
  mlpPost: (l: number) => `blocks.${l}.mlp.hook_post`,
  /** MLP output. [batch, pos, d_model] */
  mlpOut: (l: number) => `blocks.${l}.hook_mlp_out`,
  /** Residual stream leaving block `l`. [batch, pos, d_model] */
  residPost: (l: number) => `blocks.${l}.hook_resid_post`,
  /** Final norm's output, what the unembedding reads. [batch, pos, d_model] */
  lnFinalNormalized: 'ln_final.hook_normalized',
} as const;

/** Every hook point this model has, in the order the forward pass reaches them. */
export function hookNames(spec: ModelSpec): string[] {
  const names: string[] = [HOOK.embed];
  if (spec.positional === 'learned') names.push(HOOK.posEmbed);
  for (let l = 0; l < spec.nLayers; l++) {
    names.push(HOOK.residPre(l), HOOK.ln1Normalized(l), HOOK.q(l), HOOK.k(l), HOOK.v(l));
    if (spec.positional === 'rotary') names.push(HOOK.rotQ(l), HOOK.rotK(l));
    names.push(HOOK.attnScores(l), HOOK.pattern(l), HOOK.z(l), HOOK.attnOut(l));
    if (!spec.parallelAttnMlp) names.push(HOOK.residMid(l));
    names.push(HOOK.ln2Normalized(l), HOOK.mlpPre(l));
    if (spec.gatedMlp) names.push(HOOK.mlpPreLinear(l));
    names.push(HOOK.mlpPost(l), HOOK.mlpOut(l), HOOK.residPost(l));
  }
  names.push(HOOK.lnFinalNormalized);
  return names;
}

/** Throws BAD_ARGUMENT naming the first requested hook this model does not have. */
export function checkHookNames(spec: ModelSpec, requested: Iterable<string>): void {
  const known = new Set(hookNames(spec));
  for (const name of requested) {
    if (!known.has(name)) {
      throw new EngineError(
        'BAD_ARGUMENT',
        `unknown hook "${name}" for this ${spec.architecture} model (e.g. "${HOOK.pattern(0)}", "${HOOK.residPost(spec.nLayers - 1)}")`,
      );
    }
  }
}

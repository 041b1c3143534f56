/**
 * One internal description of a decoder-only transformer, whatever family it came from.
 * Each architecture module maps its Hugging Face `config.json` onto this; the forward pass and
 * every analysis read only this.
 */

/** Model families we run exactly as Hugging Face transformers does. */
export type Architecture = 'gpt2' | 'gpt_neo' | 'gpt_neox' | 'llama' | 'mistral' | 'qwen2';

/** Element-wise MLP nonlinearity. */
export type Activation =
  | 'gelu_new' // tanh approximation (GPT-2's "gelu_new", PyTorch's gelu(approximate="tanh"))
  | 'gelu' // exact, erf-based
  | 'relu'
  | 'silu';

/** How rotary embeddings scale their frequencies (Hugging Face `rope_scaling.rope_type`). */
export type RopeScaling =
  | { readonly type: 'default' }
  | { readonly type: 'linear'; readonly factor: number }
  | {
      readonly type: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalContext: number;
    };

/** Rotary position embedding, applied to the first `dims` dimensions of each query/key head. */
export interface RotarySpec {
  /** Number of rotated dimensions per head (even; `dHead` unless the family rotates a fraction). */
  readonly dims: number;
  /** Base of the frequency schedule (`rope_theta`). */
  readonly base: number;
  readonly scaling: RopeScaling;
}

export interface ModelSpec {
  readonly architecture: Architecture;
  readonly nLayers: number;
  /** Query heads per layer. */
  readonly nHeads: number;
  /** Key/value heads per layer (< nHeads for grouped-query attention, 1 for multi-query). */
  readonly nKvHeads: number;
  readonly dModel: number;
  readonly dHead: number;
  readonly dMlp: number;
  readonly dVocab: number;
  /** Maximum context length in tokens. */
  readonly nCtx: number;
  readonly normalization: 'layernorm' | 'rmsnorm';
  readonly normEps: number;
  /** Learned absolute positions (added to the embedding) or rotary (applied to q and k). */
  readonly positional: 'learned' | 'rotary';
  readonly rotary?: RotarySpec;
  readonly activation: Activation;
  /** SwiGLU-style MLP: act(x W_gate) ⊙ (x W_in). */
  readonly gatedMlp: boolean;
  /** GPT-NeoX/Pythia: attention and MLP both read the block's input and add to it together. */
  readonly parallelAttnMlp: boolean;
  /** Multiplier on q·k per layer (1/√d_head for most; 1 for GPT-Neo). */
  readonly attnScale: readonly number[];
  /**
   * Attention window per layer: null = full causal attention; w = each query sees only the w most
   * recent keys including itself (GPT-Neo "local", Mistral/Qwen2 sliding window).
   */
  readonly attnWindow: readonly (number | null)[];
  /** The unembedding is the transposed token embedding. */
  readonly tiedEmbeddings: boolean;
  readonly bosTokenId?: number;
  readonly eosTokenId?: number;
}

/** Number of query heads that share one key/value head. */
export function headsPerKvHead(spec: ModelSpec): number {
  return spec.nHeads / spec.nKvHeads;
}

/**
 * llama.cpp's tensor names and layouts, mapped back to the Hugging Face checkpoint the file was
 * converted from, so the architecture modules read a GGUF exactly as they read safetensors.
 *
 * llama.cpp's convert_hf_to_gguf.py does more than rename:
 * - llama: the rows of q_proj and k_proj are permuted (`LlamaModel.permute`) so that each head's
 *   rotary pairs sit next to each other (ggml's "normal" RoPE rotates (x0, x1), (x2, x3), …), where
 *   Hugging Face rotates (x_i, x_{i+d/2}). Undone here, per head, with the key/value head count
 *   for k_proj. qwen2 and gptneox use NeoX-style RoPE in ggml and are written unpermuted.
 * - gpt2: the Conv1D weights ([in, out]) are transposed to [out, in]; `output.weight` is a copy of
 *   the token embedding.
 * - gptneox: the fused query_key_value rows, per head [q_h k_h v_h] in Hugging Face, are regrouped
 *   to [all q; all k; all v].
 */
import type { HostTensor } from './weights';

/** GGUF `general.architecture` values we run. */
export type GgufArchitecture = 'llama' | 'qwen2' | 'gpt2' | 'gptneox';

/** How a GGUF tensor (read in PyTorch order) becomes the Hugging Face tensor. */
export type GgufTransform =
  | { readonly kind: 'copy' }
  /** gpt2 Conv1D: the file holds [out, in], Hugging Face [in, out]. */
  | { readonly kind: 'transpose' }
  /** llama q/k: undo `LlamaModel.permute` over `heads` heads. */
  | { readonly kind: 'unpermute'; readonly heads: number }
  /** gptneox query_key_value: [all q; all k; all v] back to per-head [q_h k_h v_h]. */
  | { readonly kind: 'neoxUngroup'; readonly heads: number };

/** One Hugging Face tensor and where it comes from in the file. */
export interface GgufTensorMapping {
  /** Hugging Face name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  readonly hfName: string;
  /** llama.cpp name, e.g. `blk.0.attn_q.weight`. */
  readonly ggufName: string;
  readonly transform: GgufTransform;
}

/** Head counts the rearrangements need. */
export interface GgufHeads {
  readonly heads: number;
  readonly kvHeads: number;
}

const COPY: GgufTransform = { kind: 'copy' };

/** Llama's layer tensors; Qwen2 names them the same way (its q/k/v biases ride on the same paths). */
const LLAMA_LAYER_NAMES: Readonly<Record<string, string>> = {
  attn_norm: 'input_layernorm',
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  ffn_norm: 'post_attention_layernorm',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};

/** Per-layer llama.cpp tensor (without `blk.N.` and the suffix) → Hugging Face module path. */
const LAYER_NAMES: Readonly<Record<GgufArchitecture, Readonly<Record<string, string>>>> = {
  llama: LLAMA_LAYER_NAMES,
  qwen2: LLAMA_LAYER_NAMES,
  gpt2: {
    attn_norm: 'ln_1',
    attn_qkv: 'attn.c_attn',
    attn_output: 'attn.c_proj',
    ffn_norm: 'ln_2',
    ffn_up: 'mlp.c_fc',
    ffn_down: 'mlp.c_proj',
  },
  gptneox: {
    attn_norm: 'input_layernorm',
    attn_qkv: 'attention.query_key_value',
    attn_output: 'attention.dense',
    ffn_norm: 'post_attention_layernorm',
    ffn_up: 'mlp.dense_h_to_4h',
    ffn_down: 'mlp.dense_4h_to_h',
  },
};

/** Whole-model tensors (without the suffix) → full Hugging Face names (without the suffix). */
const OUTER_NAMES: Readonly<Record<GgufArchitecture, Readonly<Record<string, string>>>> = {
  llama: { token_embd: 'model.embed_tokens', output_norm: 'model.norm', output: 'lm_head' },
  qwen2: { token_embd: 'model.embed_tokens', output_norm: 'model.norm', output: 'lm_head' },
  gpt2: { token_embd: 'transformer.wte', position_embd: 'transformer.wpe', output_norm: 'transformer.ln_f', output: 'lm_head' },
  gptneox: { token_embd: 'gpt_neox.embed_in', output_norm: 'gpt_neox.final_layer_norm', output: 'embed_out' },
};

const LAYER_PREFIX: Readonly<Record<GgufArchitecture, string>> = {
  llama: 'model.layers.',
  qwen2: 'model.layers.',
  gpt2: 'transformer.h.',
  gptneox: 'gpt_neox.layers.',
};

const GPT2_CONV1D = new Set(['attn_qkv', 'attn_output', 'ffn_up', 'ffn_down']);

function transformFor(arch: GgufArchitecture, tensor: string, suffix: string, heads: GgufHeads): GgufTransform {
  if (arch === 'llama' && tensor === 'attn_q') return { kind: 'unpermute', heads: heads.heads };
  if (arch === 'llama' && tensor === 'attn_k') return { kind: 'unpermute', heads: heads.kvHeads };
  if (arch === 'gpt2' && suffix === 'weight' && GPT2_CONV1D.has(tensor)) return { kind: 'transpose' };
  if (arch === 'gptneox' && tensor === 'attn_qkv') return { kind: 'neoxUngroup', heads: heads.heads };
  return COPY;
}

/**
 * The Hugging Face tensor a llama.cpp tensor name stands for, or undefined for a name this
 * architecture does not have (a tensor of a variant we do not run, e.g. `rope_freqs`, `attn_q_norm`).
 */
export function mapGgufTensor(arch: GgufArchitecture, ggufName: string, heads: GgufHeads): GgufTensorMapping | undefined {
  const layer = /^blk\.(\d+)\.([a-z_0-9]+)\.(weight|bias)$/.exec(ggufName);
  if (layer) {
    const [, index, tensor, suffix] = layer as unknown as [string, string, string, string];
    const module = LAYER_NAMES[arch][tensor];
    if (module === undefined) return undefined;
    return {
      hfName: `${LAYER_PREFIX[arch]}${index}.${module}.${suffix}`,
      ggufName,
      transform: transformFor(arch, tensor, suffix, heads),
    };
  }
  const outer = /^([a-z_]+)\.(weight|bias)$/.exec(ggufName);
  if (outer) {
    const [, tensor, suffix] = outer as unknown as [string, string, string];
    const hf = OUTER_NAMES[arch][tensor];
    if (hf === undefined) return undefined;
    return { hfName: `${hf}.${suffix}`, ggufName, transform: COPY };
  }
  return undefined;
}

/** The llama.cpp name of a Hugging Face tensor name (for messages about a tensor the file lacks). */
export function ggufNameFor(arch: GgufArchitecture, hfName: string): string | undefined {
  const prefix = LAYER_PREFIX[arch];
  const layer = hfName.startsWith(prefix) ? /^(\d+)\.(.+)\.(weight|bias)$/.exec(hfName.slice(prefix.length)) : null;
  if (layer) {
    const [, index, module, suffix] = layer as unknown as [string, string, string, string];
    const tensor = Object.entries(LAYER_NAMES[arch]).find(([, hf]) => hf === module)?.[0];
    return tensor === undefined ? undefined : `blk.${index}.${tensor}.${suffix}`;
  }
  const outer = /^(.+)\.(weight|bias)$/.exec(hfName);
  if (!outer) return undefined;
  const tensor = Object.entries(OUTER_NAMES[arch]).find(([, hf]) => hf === outer[1])?.[0];
  return tensor === undefined ? undefined : `${tensor}.${outer[2]}`;
}

/** The Hugging Face shape of a tensor whose GGUF shape (ne[0] first) is `ggufShape`. */
export function hfShape(ggufShape: readonly number[], transform: GgufTransform): number[] {
  const torchOrder = [...ggufShape].reverse();
  return transform.kind === 'transpose' ? [...ggufShape] : torchOrder;
}

/**
 * Applies a transform to a tensor read from the file (PyTorch order, `shape` = reversed GGUF
 * shape): the result is laid out as the Hugging Face checkpoint stores it.
 */
export function applyGgufTransform(tensor: HostTensor, transform: GgufTransform): Float32Array {
  switch (transform.kind) {
    case 'copy':
      return tensor.data;
    case 'transpose':
      return transposed(tensor);
    case 'unpermute':
      return unpermuteRows(tensor, transform.heads);
    case 'neoxUngroup':
      return ungroupNeoxRows(tensor, transform.heads);
  }
}

function rowsAndCols(tensor: HostTensor): [rows: number, cols: number] {
  const rows = tensor.shape[0]!;
  return [rows, rows === 0 ? 0 : tensor.data.length / rows];
}

/** [rows, cols] → [cols, rows]. */
function transposed(tensor: HostTensor): Float32Array {
  const [rows, cols] = rowsAndCols(tensor);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = tensor.data[r * cols + c]!;
  }
  return out;
}

/**
 * Inverse of llama.cpp's `permute(w, n_head)`: `w.reshape(n_head, 2, d/2, …).swapaxes(1, 2)`. Within
 * each head of `d` rows, the file's row 2i + j holds Hugging Face row j·d/2 + i (j ∈ {0, 1}).
 * Works for weights [rows, cols] and biases [rows] alike.
 */
export function unpermuteRows(tensor: HostTensor, heads: number): Float32Array {
  const [rows, cols] = rowsAndCols(tensor);
  const perHead = rows / heads;
  const half = perHead / 2;
  const out = new Float32Array(tensor.data.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (h * perHead + 2 * i + j) * cols;
        const to = (h * perHead + j * half + i) * cols;
        out.set(tensor.data.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}

/**
 * Inverse of the gptneox converter's regrouping: file rows [part][head][d_head] (part = q, k, v)
 * back to Hugging Face's [head][part][d_head]. Works for weights and biases alike.
 */
export function ungroupNeoxRows(tensor: HostTensor, heads: number): Float32Array {
  const [rows, cols] = rowsAndCols(tensor);
  const dHead = rows / (3 * heads);
  const out = new Float32Array(tensor.data.length);
  const block = dHead * cols;
  for (let part = 0; part < 3; part++) {
    for (let h = 0; h < heads; h++) {
      const from = (part * heads + h) * block;
      out.set(tensor.data.subarray(from, from + block), (h * 3 + part) * block);
    }
  }
  return out;
}

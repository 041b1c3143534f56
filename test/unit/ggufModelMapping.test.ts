/**
 * The pure parts of reading a GGUF model, on hand-made inputs: metadata → config (and the features
 * refused), llama.cpp names → Hugging Face names, and the inverse rearrangements checked against
 * the converter's forward ones written out here as llama.cpp defines them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../../src/engine/errors';
import type { GgufTensorInfo, GgufValue } from '../../src/engine/formats/gguf';
import { llama } from '../../src/engine/model/architectures/llama';
import { ggufConfig } from '../../src/engine/model/ggufConfig';
import { summarizeGgufValue } from '../../src/engine/model/ggufMetadata';
import { llama3Divisors, llama3ScalingFromDivisors } from '../../src/engine/model/ggufRopeFactors';
import { ggufNameFor, mapGgufTensor, unpermuteRows, ungroupNeoxRows } from '../../src/engine/model/ggufTensors';

function tensor(name: string, shape: number[]): GgufTensorInfo {
  return { name, shape, type: 'F32', typeId: 0, offset: 0n, byteLength: shape.reduce((a, b) => a * b, 4) };
}

function header(metadata: Record<string, GgufValue>, tensors: GgufTensorInfo[] = [tensor('token_embd.weight', [64, 1000]), tensor('output.weight', [64, 1000])]) {
  return { path: '/models/hand-made.gguf', metadata: new Map(Object.entries(metadata)), tensors };
}

const QWEN2: Record<string, GgufValue> = {
  'general.architecture': 'qwen2',
  'qwen2.block_count': 3,
  'qwen2.context_length': 4096,
  'qwen2.embedding_length': 64,
  'qwen2.feed_forward_length': 160,
  'qwen2.attention.head_count': 8,
  'qwen2.attention.head_count_kv': 2,
  'qwen2.rope.freq_base': 1000000,
  'qwen2.attention.layer_norm_rms_epsilon': 1e-6,
  'tokenizer.ggml.bos_token_id': 11,
  'tokenizer.ggml.eos_token_id': 12,
};

function engineError(code: string, pattern: RegExp) {
  return (error: unknown) => error instanceof EngineError && error.code === code && pattern.test(error.message);
}

describe('GGUF metadata → config (hand-made)', () => {
  it('qwen2: every hyper-parameter, vocabulary from the embedding, untied when output.weight exists', () => {
    const config = ggufConfig(header(QWEN2));
    const spec = llama.spec(config);
    assert.equal(spec.architecture, 'qwen2');
    assert.deepEqual(
      [spec.nLayers, spec.nHeads, spec.nKvHeads, spec.dModel, spec.dHead, spec.dMlp, spec.dVocab, spec.nCtx],
      [3, 8, 2, 64, 8, 160, 1000, 4096],
    );
    assert.equal(spec.rotary?.base, 1000000);
    assert.equal(spec.rotary?.dims, 8);
    assert.equal(spec.normEps, 1e-6);
    assert.equal(spec.tiedEmbeddings, false);
    assert.deepEqual(spec.attnWindow, [null, null, null]);
    assert.equal(spec.bosTokenId, 11);
    assert.equal(spec.eosTokenId, 12);
  });

  it('llama: linear rope scaling and a partial rotary dimension count', () => {
    const metadata: Record<string, GgufValue> = {
      ...Object.fromEntries(Object.entries(QWEN2).map(([k, v]) => [k.replace(/^qwen2\./, 'llama.'), v])),
      'general.architecture': 'llama',
      'llama.rope.dimension_count': 6,
      'llama.rope.scaling.type': 'linear',
      'llama.rope.scaling.factor': 4,
    };
    const spec = llama.spec(ggufConfig(header(metadata, [tensor('token_embd.weight', [64, 1000])])));
    assert.equal(spec.rotary?.dims, 6);
    assert.deepEqual(spec.rotary?.scaling, { type: 'linear', factor: 4 });
    assert.equal(spec.tiedEmbeddings, true);
  });

  it('a missing required key names the key and the file', () => {
    const { ['qwen2.block_count']: _dropped, ...rest } = QWEN2;
    assert.throws(() => ggufConfig(header(rest)), engineError('BAD_CONFIG', /hand-made\.gguf.*"qwen2\.block_count"/));
  });

  it('refuses what it cannot run exactly', () => {
    assert.throws(() => ggufConfig(header({ ...QWEN2, 'general.architecture': 'phi3' })), engineError('UNSUPPORTED_ARCHITECTURE', /"phi3" is not supported/));
    assert.throws(() => ggufConfig(header({ ...QWEN2, 'qwen2.expert_count': 8 })), engineError('UNSUPPORTED_ARCHITECTURE', /mixture-of-experts/));
    assert.throws(() => ggufConfig(header({ ...QWEN2, 'qwen2.rope.scaling.type': 'yarn' })), engineError('UNSUPPORTED_ARCHITECTURE', /"yarn"/));
    assert.throws(
      () => ggufConfig(header(QWEN2, [tensor('token_embd.weight', [64, 1000]), tensor('rope_freqs.weight', [4])])),
      engineError('UNSUPPORTED_ARCHITECTURE', /rope_freqs/),
    );
  });
});

describe('llama.cpp tensor names', () => {
  const heads = { heads: 8, kvHeads: 2 };
  it('map to the Hugging Face names with the converter rearrangement to undo', () => {
    assert.deepEqual(mapGgufTensor('llama', 'blk.3.attn_k.weight', heads), {
      hfName: 'model.layers.3.self_attn.k_proj.weight',
      ggufName: 'blk.3.attn_k.weight',
      transform: { kind: 'unpermute', heads: 2 },
    });
    assert.equal(mapGgufTensor('qwen2', 'blk.0.attn_q.bias', heads)?.transform.kind, 'copy');
    assert.equal(mapGgufTensor('gpt2', 'blk.1.ffn_down.weight', heads)?.hfName, 'transformer.h.1.mlp.c_proj.weight');
    assert.equal(mapGgufTensor('gpt2', 'blk.1.ffn_down.weight', heads)?.transform.kind, 'transpose');
    assert.equal(mapGgufTensor('gpt2', 'blk.1.ffn_down.bias', heads)?.transform.kind, 'copy');
    assert.deepEqual(mapGgufTensor('gptneox', 'blk.0.attn_qkv.bias', heads)?.transform, { kind: 'neoxUngroup', heads: 8 });
    assert.equal(mapGgufTensor('gptneox', 'output.weight', heads)?.hfName, 'embed_out.weight');
    assert.equal(mapGgufTensor('qwen2', 'blk.0.attn_q_norm.weight', heads), undefined);
    assert.equal(ggufNameFor('llama', 'model.layers.2.mlp.gate_proj.weight'), 'blk.2.ffn_gate.weight');
    assert.equal(ggufNameFor('gpt2', 'lm_head.weight'), 'output.weight');
  });
});

/** llama.cpp's LlamaModel.permute: w.reshape(n_head, 2, rows/n_head/2, cols).swapaxes(1, 2). */
function llamaPermute(w: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  const half = rows / heads / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < half; i++)
      for (let j = 0; j < 2; j++)
        for (let c = 0; c < cols; c++) out[(((h * half + i) * 2 + j) * cols) + c] = w[(((h * 2 + j) * half + i) * cols) + c]!;
  return out;
}

/** The gptneox converter: reshape(n_head, 3, d_head, cols), then cat of [:, 0], [:, 1], [:, 2]. */
function neoxRegroup(w: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  const dHead = rows / heads / 3;
  const out = new Float32Array(w.length);
  let o = 0;
  for (let part = 0; part < 3; part++)
    for (let h = 0; h < heads; h++)
      for (let r = 0; r < dHead; r++)
        for (let c = 0; c < cols; c++) out[o++] = w[((h * 3 + part) * dHead + r) * cols + c]!;
  return out;
}

describe('undoing the converter rearrangements', () => {
  const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => i);
  it('unpermuteRows inverts LlamaModel.permute (weights and biases)', () => {
    const w = ramp(2 * 12 * 5);
    assert.deepEqual(unpermuteRows({ data: llamaPermute(w, 24, 5, 2), shape: [24, 5] }, 2), w);
    const b = ramp(24);
    assert.deepEqual(unpermuteRows({ data: llamaPermute(b, 24, 1, 3), shape: [24] }, 3), b);
  });

  it('ungroupNeoxRows inverts the gptneox regrouping', () => {
    const w = ramp(3 * 4 * 2 * 3);
    assert.deepEqual(ungroupNeoxRows({ data: neoxRegroup(w, 24, 3, 4), shape: [24, 3] }, 4), w);
  });
});

describe('GGUF metadata for the model card', () => {
  it('summarizes long arrays and cuts long strings', () => {
    assert.equal(summarizeGgufValue({ itemType: 'STRING', items: Array.from({ length: 32000 }, () => 'x') }), '[STRING × 32000]');
    assert.equal(summarizeGgufValue({ itemType: 'INT32', items: [1, 2, 3] }), '[1, 2, 3]');
    assert.equal(summarizeGgufValue(12345678901234567890n), '12345678901234567890');
    assert.match(summarizeGgufValue('{% for m in messages %}'.repeat(20)), /… \(460 characters\)$/);
  });
});

describe('Llama 3.1 RoPE scaling from rope_freqs divisors', () => {
  // Llama 3.1 8B: rope_theta 500000, head_dim 128, factor 8, low 1, high 4, original context 8192.
  // Divisors 29..34 as llama.cpp's converter computes them (LlamaModel.generate_extra_tensors, in
  // float32 torch); 0..28 are 1 and 35..63 are 8.
  const CONVERTER_BLEND = [1.2074838876724243, 1.5534145832061768, 2.026313066482544, 2.6945300102233887, 3.684253215789795, 5.257327079772949];
  const divisors = Float32Array.from({ length: 64 }, (_, i) => (i < 29 ? 1 : i > 34 ? 8 : CONVERTER_BLEND[i - 29]!));

  it('finds a llama3 scaling that gives exactly the file divisors', () => {
    const scaling = llama3ScalingFromDivisors(divisors, 500000, 128);
    assert.ok(scaling);
    assert.equal(scaling.factor, 8);
    // Only original_context / (high − low) and low / (high − low) are determined; with low = 1
    // Llama 3.1's values come back.
    assert.ok(Math.abs(scaling.high_freq_factor - 4) < 1e-3, String(scaling.high_freq_factor));
    assert.ok(Math.abs(scaling.original_max_position_embeddings - 8192) < 5, String(scaling.original_max_position_embeddings));
    const again = llama3Divisors(scaling, 500000, 128);
    again.forEach((d, i) => assert.ok(Math.abs(d - divisors[i]!) < 1e-4 * d, `pair ${i}: ${d} vs ${divisors[i]}`));
  });

  it('all ones is no scaling; divisors no llama3 scaling gives are refused', () => {
    assert.equal(llama3ScalingFromDivisors(new Float32Array(64).fill(1), 500000, 128), null);
    const bumpy = Float32Array.from(divisors);
    bumpy[31] = 7; // not on the blend curve
    assert.equal(llama3ScalingFromDivisors(bumpy, 500000, 128), undefined);
    assert.equal(llama3ScalingFromDivisors(divisors.subarray(0, 10), 500000, 128), undefined);
  });
});

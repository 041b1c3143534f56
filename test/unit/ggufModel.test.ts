/**
 * GGUF models against Hugging Face transformers. The files in test/fixtures/gguf/models were
 * written by llama.cpp's gguf-py (`gguf.GGUFWriter`) the way convert_hf_to_gguf.py writes them
 * (permuted Q/K rows for llama, transposed Conv1D for gpt2, regrouped QKV for gptneox), from the
 * Hugging Face fixtures; see test/fixtures/gguf/convert_models.py.
 *
 * Two checks per file:
 * - exact (1e-4): against transformers run on the weights as the file stores them (each tensor
 *   dequantized by gguf-py), which tests the name mapping, the undoing of the converter's
 *   rearrangements and the dequantization together;
 * - against the source model's own logits (reference.json of the Hugging Face fixture), within
 *   the quantization's cost as the fixture script measured it (0 for the lossless F32 file).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tensorStats } from '../../src/engine/analysis/tensorStats';
import { initBackend } from '../../src/engine/backend';
import { EngineError } from '../../src/engine/errors';
import { openGguf } from '../../src/engine/formats/gguf';
import { ggufConfig } from '../../src/engine/model/ggufConfig';
import { TransformerModel } from '../../src/engine/model/model';
import { EngineService } from '../../src/engine/service';
import type { ModelInfo, TensorRow, TensorStats } from '../../src/protocol/engine';
import { assertUserError, cli, SKIP_WITHOUT_CLI } from './helpers/cli';
import { FIXTURES_DIR, maxAbsDiff } from './helpers/fixtures';

const GGUF_DIR = path.join(FIXTURES_DIR, 'gguf', 'models');
const EXACT = 1e-4;

interface FileReference {
  file: string;
  source: string | null;
  architecture: string;
  type: string;
  tensor_types: Record<string, string>;
  cases: { tokens: number[]; logits_b64: string; shape: [number, number] }[];
  max_abs_diff_vs_source: number;
  source_logits_b64?: string;
}

const reference = JSON.parse(readFileSync(path.join(GGUF_DIR, 'reference.json'), 'utf8')) as { files: FileReference[] };

function decodeLogits(b64: string, shape: readonly number[]): number[][] {
  const bytes = Buffer.from(b64, 'base64');
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return Array.from({ length: shape[0]! }, (_, p) => Array.from(values.subarray(p * shape[1]!, (p + 1) * shape[1]!)));
}

/** Every case of the source fixture's reference.json (the Hugging Face model's own logits). */
function sourceCases(ref: FileReference): { tokens: number[]; logits: number[][] }[] {
  if (ref.source === null) return [{ tokens: ref.cases[0]!.tokens, logits: decodeLogits(ref.source_logits_b64!, ref.cases[0]!.shape) }];
  const json = JSON.parse(readFileSync(path.join(FIXTURES_DIR, ref.source, 'reference.json'), 'utf8')) as { cases: { tokens: number[]; logits: number[][] }[] };
  return json.cases;
}

async function logitsOf(model: TransformerModel, tokens: number[]): Promise<number[][]> {
  const result = await model.run(tokens);
  try {
    return (await result.logits!.array() as number[][][])[0]!;
  } finally {
    result.dispose();
  }
}

describe('GGUF models match Hugging Face transformers', () => {
  before(async () => {
    await initBackend('cpu');
  });

  for (const ref of reference.files) {
    describe(`${ref.file} (${ref.architecture}, ${ref.type})`, () => {
      let model: TransformerModel;
      before(async () => {
        model = await TransformerModel.load(path.join(GGUF_DIR, ref.file));
      });
      after(async () => model?.dispose());

      it('gives the logits of transformers on the dequantized weights (1e-4)', async () => {
        for (const c of ref.cases) {
          const diff = maxAbsDiff(await logitsOf(model, c.tokens), decodeLogits(c.logits_b64, c.shape));
          assert.ok(diff <= EXACT, `logits differ by ${diff}`);
        }
      });

      it('stays within the measured quantization cost of the source model', async () => {
        const tolerance = Math.max(EXACT, ref.max_abs_diff_vs_source * 1.01 + EXACT);
        for (const c of sourceCases(ref)) {
          const diff = maxAbsDiff(await logitsOf(model, c.tokens), c.logits);
          assert.ok(diff <= tolerance, `logits differ from the source model by ${diff} (tolerance ${tolerance})`);
        }
      });

      it('lists every tensor with its quantization type', () => {
        const table = new Map([...model.source.tensors.values()].map((t) => [t.name, t.dtype]));
        assert.deepEqual(Object.fromEntries(table), ref.tensor_types);
      });
    });
  }

  it('F32 llama file: the exact logits of the Hugging Face fixture for every case', async () => {
    const model = await TransformerModel.load(path.join(GGUF_DIR, 'llama-f32.gguf'));
    try {
      const json = JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'models', 'llama-bf16-tied', 'reference.json'), 'utf8')) as { cases: { tokens: number[]; logits: number[][] }[] };
      for (const c of json.cases) assert.ok(maxAbsDiff(await logitsOf(model, c.tokens), c.logits) <= EXACT);
      const info = model.info();
      assert.equal(info.architecture, 'llama');
      assert.equal(info.kvHeads, 1);
      assert.equal(info.dtype, 'F32');
      assert.equal(model.spec.tiedEmbeddings, true, 'no output.weight: the head is the embedding');
      assert.equal(model.spec.rotary?.base, 500000);
    } finally {
      await model.dispose();
    }
  });
});

describe('GGUF metadata → model config', () => {
  it('maps the llama keys as Hugging Face names them', async () => {
    const gguf = await openGguf(path.join(GGUF_DIR, 'llama-f32.gguf'));
    try {
      const raw = ggufConfig(gguf).raw;
      const expected = JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'models', 'llama-bf16-tied', 'config.json'), 'utf8')) as Record<string, unknown>;
      for (const key of ['num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'hidden_size', 'head_dim', 'intermediate_size', 'max_position_embeddings', 'rope_theta', 'vocab_size', 'tie_word_embeddings']) {
        assert.equal(raw[key], expected[key], key);
      }
      assert.ok(Math.abs((raw['rms_norm_eps'] as number) - (expected['rms_norm_eps'] as number)) < 1e-12);
    } finally {
      await gguf.close();
    }
  });

  it('maps gptneox rotary dimensions and parallel residual', async () => {
    const gguf = await openGguf(path.join(GGUF_DIR, 'pythia-q8_0.gguf'));
    try {
      const raw = ggufConfig(gguf).raw;
      assert.equal(raw['model_type'], 'gpt_neox');
      assert.equal(raw['rotary_pct'], 0.25);
      assert.equal(raw['use_parallel_residual'], true);
      assert.equal(raw['tie_word_embeddings'], false);
    } finally {
      await gguf.close();
    }
  });
});

describe('GGUF files the engine cannot run', () => {
  it('a vocabulary-only file is one clear error', async () => {
    await assert.rejects(TransformerModel.load(path.join(GGUF_DIR, 'vocab-llama-spm.gguf')), (error: unknown) => {
      assert.ok(error instanceof EngineError);
      assert.match(error.message, /vocab-llama-spm\.gguf: holds no tensors/);
      return true;
    });
  });
});

describe('GGUF models in the engine service', () => {
  const service = new EngineService();
  let id = 1;
  const signal = new AbortController().signal;
  const ask = <T>(request: Record<string, unknown>) => service.handle({ ...request, id: id++ } as never, signal, () => undefined) as Promise<T>;
  let tmp: string;

  before(async () => {
    await ask({ type: 'init', backend: 'cpu' });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'gguf-model-'));
  });
  after(async () => {
    await service.dispose();
    await rm(tmp, { recursive: true, force: true });
  });

  it('loads a file: model card with summarized metadata, tensor table with quantization types', async () => {
    const info = await ask<ModelInfo>({ type: 'load', path: path.join(GGUF_DIR, 'gpt2-q8_0.gguf') });
    assert.equal(info.architecture, 'gpt2');
    assert.equal(info.tokenizer, true);
    assert.equal(info.dtype, 'Q8_0+F32');
    const metadata = new Map(info.ggufMetadata!.map((e) => [e.key, e.value]));
    assert.equal(metadata.get('general.architecture'), '"gpt2"');
    assert.equal(metadata.get('gpt2.block_count'), '2');
    assert.equal(metadata.get('tokenizer.ggml.tokens'), '[STRING × 300]');
    assert.equal(metadata.get('tokenizer.ggml.merges'), '[STRING × 43]');

    const rows = await ask<TensorRow[]>({ type: 'tensors' });
    const qkv = rows.find((r) => r.name === 'blk.0.attn_qkv.weight')!;
    // [96, 32] in PyTorch order; Q8_0 packs 32 values in 34 bytes.
    assert.deepEqual(qkv, { name: 'blk.0.attn_qkv.weight', shape: [96, 32], dtype: 'Q8_0', bytes: 96 * 34 });
  });

  it('computes statistics of a quantized tensor by dequantizing it', async () => {
    await ask({ type: 'load', path: path.join(GGUF_DIR, 'llama-q4_k.gguf') });
    const stats = await ask<TensorStats>({ type: 'tensorStats', name: 'blk.0.ffn_down.weight' });
    const gguf = await openGguf(path.join(GGUF_DIR, 'llama-q4_k.gguf'));
    try {
      assert.equal(gguf.tensors.find((t) => t.name === 'blk.0.ffn_down.weight')!.type, 'Q4_K');
      assert.deepEqual(stats, tensorStats(await gguf.readTensor('blk.0.ffn_down.weight')));
      assert.equal(stats.count, 32 * 256);
    } finally {
      await gguf.close();
    }
  });

  it('a corrupt file is one clear error, and the loaded model stays usable', async () => {
    await ask({ type: 'load', path: path.join(GGUF_DIR, 'qwen2-f16.gguf') });
    const file = path.join(tmp, 'truncated.gguf');
    await writeFile(file, readFileSync(path.join(GGUF_DIR, 'llama-q4_0.gguf')).subarray(0, 300));
    await assert.rejects(ask({ type: 'load', path: file }), (error: unknown) => {
      assert.ok(error instanceof EngineError, String(error));
      assert.match(error.message, /truncated\.gguf/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    const garbage = path.join(tmp, 'garbage.gguf');
    await writeFile(garbage, 'not a gguf file at all, just text');
    await assert.rejects(ask({ type: 'load', path: garbage }), (error: unknown) => error instanceof EngineError && /garbage\.gguf/.test(error.message));
    const info = await ask<ModelInfo>({ type: 'info' });
    assert.equal(info.architecture, 'qwen2');
  });

  it('an architecture the engine does not run is UNSUPPORTED_ARCHITECTURE naming it', async () => {
    const bytes = readFileSync(path.join(GGUF_DIR, 'llama-q4_0.gguf'));
    // Same length, so the file stays valid: "llama" → "mamba" in general.architecture's value.
    const patched = Buffer.from(bytes);
    const at = patched.indexOf(Buffer.from('general.architecture')) + 'general.architecture'.length + 4 + 8;
    assert.equal(patched.subarray(at, at + 5).toString(), 'llama');
    patched.write('mamba', at);
    const file = path.join(tmp, 'mamba.gguf');
    await writeFile(file, patched);
    await assert.rejects(ask({ type: 'load', path: file }), (error: unknown) => {
      assert.ok(error instanceof EngineError);
      assert.equal(error.code, 'UNSUPPORTED_ARCHITECTURE');
      assert.match(error.message, /mamba\.gguf: GGUF architecture "mamba" is not supported \(supported: llama, qwen2, gpt2, gptneox\)/);
      return true;
    });
  });
});

describe('GGUF models from the CLI', { skip: SKIP_WITHOUT_CLI }, () => {
  it('info and run take a .gguf file (text prompts through its own tokenizer)', async () => {
    const file = path.join(GGUF_DIR, 'gpt2-q8_0.gguf');
    const info = await cli('info', file, '--backend', 'cpu');
    assert.equal(info.code, 0, info.stderr);
    assert.equal((JSON.parse(info.stdout) as ModelInfo).architecture, 'gpt2');
    const text = reference.files.find((f) => f.file === 'gpt2-q8_0.gguf')!;
    const c = text.cases[0]!;
    const run = await cli('run', file, '--tokens', c.tokens.join(','), '--logits', 'all', '--backend', 'cpu');
    assert.equal(run.code, 0, run.stderr);
    assert.ok(maxAbsDiff((JSON.parse(run.stdout) as { logits: number[][] }).logits, decodeLogits(c.logits_b64, c.shape)) <= EXACT);
    const tokenizerCase = (JSON.parse(readFileSync(path.join(GGUF_DIR, 'reference.json'), 'utf8')) as { tokenizers: { gpt2: { cases: { text: string; ids: number[] }[] } } }).tokenizers.gpt2.cases[2]!;
    const prompt = await cli('run', file, '--prompt', tokenizerCase.text, '--backend', 'cpu');
    assert.equal(prompt.code, 0, prompt.stderr);
    assert.deepEqual((JSON.parse(prompt.stdout) as { tokens: number[] }).tokens, tokenizerCase.ids);
  });

  it('a bad .gguf file is one line on stderr', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gguf-cli-'));
    try {
      const file = path.join(dir, 'not-really.gguf');
      await writeFile(file, readFileSync(path.join(GGUF_DIR, 'reference.json')));
      assertUserError(await cli('info', file), /not-really\.gguf: .*GGUF magic/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

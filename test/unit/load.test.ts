/**
 * Loading real checkpoints: the model card's numbers, and a clear typed error for every way a
 * model folder can be wrong — after which the engine keeps working.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initBackend } from '../../src/engine/backend';
import { openSafetensors } from '../../src/engine/formats/safetensors';
import { TransformerModel } from '../../src/engine/model/model';
import { rejectsWith } from './helpers/assertions';
import { modelDir, readReference } from './helpers/fixtures';
import { writeSafetensors, type TensorSpec } from './helpers/safetensorsFiles';

let root = '';
let counter = 0;

before(async () => {
  await initBackend('wasm');
  root = await mkdtemp(path.join(tmpdir(), 'load-test-'));
});
after(() => rm(root, { recursive: true, force: true }));

/**
 * A copy of a fixture model in a fresh folder, with its config edited and/or its tensors
 * filtered (tensors are rewritten as F32 from what the original file holds).
 */
async function variant(
  name: string,
  edit: { config?: (config: Record<string, unknown>) => Record<string, unknown> | string | undefined; keepTensor?: (tensor: string) => boolean } = {},
): Promise<string> {
  const dir = path.join(root, `${name}-${++counter}`);
  await mkdir(dir);
  const config = JSON.parse(await readFile(path.join(modelDir(name), 'config.json'), 'utf8')) as Record<string, unknown>;
  const edited = edit.config ? edit.config(config) : config;
  if (edited !== undefined) await writeFile(path.join(dir, 'config.json'), typeof edited === 'string' ? edited : JSON.stringify(edited));
  if (!edit.keepTensor) {
    await copyFile(path.join(modelDir(name), 'model.safetensors'), path.join(dir, 'model.safetensors'));
    return dir;
  }
  const source = await openSafetensors(path.join(modelDir(name), 'model.safetensors'));
  const tensors: TensorSpec[] = [];
  for (const [tensorName, info] of source.tensors) {
    if (!edit.keepTensor(tensorName)) continue;
    const data = await source.readFloat32(tensorName);
    tensors.push({ name: tensorName, dtype: 'F32', shape: [...info.shape], bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  }
  await source.close();
  await writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  return dir;
}

describe('the model card', () => {
  it('reports a GPT-2 checkpoint as its config describes it', async () => {
    const model = await TransformerModel.load(modelDir('gpt2'));
    try {
      const info = model.info();
      const d = 32;
      // GPT-2 parameters: embeddings, positions, per layer 12d² + 13d, final LayerNorm 2d.
      const expectedParameters = 300 * d + 64 * d + 2 * (12 * d * d + 13 * d) + 2 * d;
      assert.deepEqual(info, {
        architecture: 'gpt2', layers: 2, heads: 4, kvHeads: 4, dModel: d, dHead: 8, dMlp: 4 * d, vocab: 300, context: 64,
        parameters: expectedParameters, dtype: 'F32', backend: 'wasm', tokenizer: true,
      });
    } finally {
      await model.dispose();
    }
  });

  it('reports grouped-query heads, stored dtype and sharded checkpoints', async () => {
    const sharded = await TransformerModel.load(path.join(modelDir('llama'), 'model.safetensors.index.json'));
    const bf16 = await TransformerModel.load(path.join(modelDir('llama-bf16-tied'), 'model.safetensors'));
    try {
      assert.equal(sharded.info().heads, 4);
      assert.equal(sharded.info().kvHeads, 2);
      assert.equal(sharded.info().tokenizer, false);
      assert.equal(bf16.info().dtype, 'BF16');
      assert.equal(bf16.info().kvHeads, 1);
    } finally {
      await sharded.dispose();
      await bf16.dispose();
    }
  });
});

describe('bad model folders give one clear error', () => {
  it('no config.json', async () => {
    const dir = await variant('gpt2', { config: () => undefined });
    await rejectsWith(TransformerModel.load(dir), 'MISSING_CONFIG', ['config.json', dir]);
  });

  it('config.json that is not JSON', async () => {
    const dir = await variant('gpt2', { config: () => '{"model_type": "gpt2",' });
    await rejectsWith(TransformerModel.load(dir), 'BAD_CONFIG', ['config.json', 'not valid JSON']);
  });

  it('an architecture we do not run', async () => {
    const dir = await variant('gpt2', { config: (c) => ({ ...c, model_type: 'bert' }) });
    await rejectsWith(TransformerModel.load(dir), 'UNSUPPORTED_ARCHITECTURE', ['"bert"', 'gpt2', 'llama']);
  });

  it('a required config key missing or of the wrong type', async () => {
    const missing = await variant('gpt2', { config: ({ n_embd: _drop, ...c }) => c });
    await rejectsWith(TransformerModel.load(missing), 'BAD_CONFIG', ['"n_embd"']);
    const wrongType = await variant('gpt2', { config: (c) => ({ ...c, n_head: 'four' }) });
    await rejectsWith(TransformerModel.load(wrongType), 'BAD_CONFIG', ['"n_head"', 'positive integer']);
    const indivisible = await variant('gpt2', { config: (c) => ({ ...c, n_head: 5 }) });
    await rejectsWith(TransformerModel.load(indivisible), 'BAD_CONFIG', ['not divisible', '5 heads']);
  });

  it('a config whose sizes do not match the tensors', async () => {
    const dir = await variant('gpt2', { config: (c) => ({ ...c, n_embd: 64 }) });
    await rejectsWith(TransformerModel.load(dir), 'WEIGHTS_MISMATCH', ['transformer.wte.weight', '[300, 32]', '[300, 64]']);
  });

  it('a config with more layers than the checkpoint has', async () => {
    const dir = await variant('gpt2', { config: (c) => ({ ...c, n_layer: 3 }) });
    await rejectsWith(TransformerModel.load(dir), 'WEIGHTS_MISMATCH', ['transformer.h.2.', 'missing']);
  });

  it('a checkpoint missing one tensor', async () => {
    const dir = await variant('llama-bf16-tied', { keepTensor: (name) => name !== 'model.layers.1.mlp.up_proj.weight' });
    await rejectsWith(TransformerModel.load(dir), 'WEIGHTS_MISMATCH', ['model.layers.1.mlp.up_proj.weight', 'missing']);
  });

  it('an untied model without its unembedding', async () => {
    const dir = await variant('pythia', { keepTensor: (name) => name !== 'embed_out.weight' });
    await rejectsWith(TransformerModel.load(dir), 'WEIGHTS_MISMATCH', ['embed_out.weight']);
  });

  it('weights over the memory limit', async () => {
    await rejectsWith(TransformerModel.load(modelDir('gpt2'), { memoryLimitBytes: 1000 }), 'MODEL_TOO_LARGE', ['memory limit']);
  });

  it('rope scaling we do not implement', async () => {
    const dir = await variant('qwen2', { config: (c) => ({ ...c, rope_scaling: { rope_type: 'yarn', factor: 4 } }) });
    await rejectsWith(TransformerModel.load(dir), 'UNSUPPORTED_ARCHITECTURE', ['"yarn"']);
  });

  it('the engine keeps working after each failure', async () => {
    const model = await TransformerModel.load(modelDir('gpt-neo'));
    try {
      const reference = readReference('gpt-neo').cases[0]!;
      const result = await model.run(reference.tokens);
      assert.equal(result.logits!.shape[1], reference.tokens.length);
      result.dispose();
    } finally {
      await model.dispose();
    }
  });
});

describe('bad prompts give one clear error', () => {
  let model: TransformerModel;
  before(async () => {
    model = await TransformerModel.load(modelDir('gpt2'));
  });
  after(() => model.dispose());

  it('longer than the context', async () => {
    await rejectsWith(model.run(new Array(65).fill(1)), 'BAD_PROMPT', ['65 tokens', 'context is 64']);
  });

  it('token ids outside the vocabulary', async () => {
    await rejectsWith(model.run([1, 300]), 'BAD_PROMPT', ['300', 'vocabulary']);
    await rejectsWith(model.run([1, -1]), 'BAD_PROMPT', ['-1']);
    await rejectsWith(model.run([1.5]), 'BAD_PROMPT', ['1.5']);
  });

  it('empty', async () => {
    await rejectsWith(model.run([]), 'BAD_PROMPT', ['no tokens']);
  });

  it('a text prompt for a model without a tokenizer', async () => {
    const noTokenizer = await TransformerModel.load(modelDir('gpt2-f16'));
    try {
      assert.throws(() => noTokenizer.tokenize('hello'), (e: Error & { code?: string }) => e.code === 'NO_TOKENIZER' && /token ids/.test(e.message));
    } finally {
      await noTokenizer.dispose();
    }
  });

  it('a text prompt through the model tokenizer matches the reference tokenization', () => {
    const textCase = readReference('gpt2').cases.find((c) => c.text !== undefined)!;
    assert.deepEqual(model.tokenize(textCase.text!).ids, textCase.tokens);
  });
});

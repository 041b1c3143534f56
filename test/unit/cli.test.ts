/**
 * The headless CLI, run as a user runs it (the built dist/cli.js in a child process): JSON on
 * stdout matching the reference implementation, and one line on stderr with exit code 1 for
 * every kind of bad input.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { maxAbsDiff, modelDir, readReference } from './helpers/fixtures';
import { SKIP_WITHOUT_CLI, assertUserError, cli } from './helpers/cli';

describe('circuit-inspector CLI', { skip: SKIP_WITHOUT_CLI }, () => {
  let tmp = '';
  before(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'cli-test-'));
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  it('info prints the model card', async () => {
    const result = await cli('info', modelDir('llama'), '--backend', 'wasm');
    assert.equal(result.code, 0, result.stderr);
    const info = JSON.parse(result.stdout);
    assert.deepEqual(
      { ...info, parameters: undefined },
      { architecture: 'llama', layers: 2, heads: 4, kvHeads: 2, dModel: 48, dHead: 12, dMlp: 96, vocab: 128, context: 64, parameters: undefined, dtype: 'F32', backend: 'wasm', tokenizer: false },
    );
  });

  it('run --tokens prints the last logits and the loss of transformers', async () => {
    const reference = readReference('llama').cases[1]!;
    const result = await cli('run', modelDir('llama'), '--tokens', reference.tokens.join(','));
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.deepEqual(out.tokens, reference.tokens);
    assert.equal(out.tokenStrings, undefined);
    assert.ok(maxAbsDiff(out.logits, reference.logits[reference.logits.length - 1]!) <= 1e-4);
    assert.ok(Math.abs(out.loss - reference.loss) <= 1e-4);
  });

  it('run --prompt tokenizes, and --logits all --patterns print every position and head', async () => {
    const reference = readReference('gpt2').cases.find((c) => c.text !== undefined)!;
    const result = await cli('run', path.join(modelDir('gpt2'), 'model.safetensors'), '--prompt', reference.text!, '--logits', 'all', '--patterns');
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.deepEqual(out.tokens, reference.tokens);
    assert.equal(out.tokenStrings.length, reference.tokens.length);
    assert.equal(out.tokenStrings.join(''), reference.text);
    assert.ok(maxAbsDiff(out.logits, reference.logits) <= 1e-4);
    assert.ok(maxAbsDiff(out.patterns, reference.attentions) <= 1e-5);
  });

  it('a single token has no loss', async () => {
    const result = await cli('run', modelDir('qwen2'), '--tokens', '5');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).loss, null);
  });

  it('bad input: one line on stderr, exit code 1', async () => {
    assertUserError(await cli('info', path.join(tmp, 'nowhere.safetensors')), /nowhere\.safetensors/);
    assertUserError(await cli('run', modelDir('gpt2')), /--prompt TEXT or --tokens/);
    assertUserError(await cli('run', modelDir('gpt2'), '--tokens', '1,x'), /comma-separated/);
    assertUserError(await cli('run', modelDir('gpt2'), '--tokens', '1,300'), /vocabulary/);
    assertUserError(await cli('run', modelDir('gpt2-f16'), '--prompt', 'hello'), /tokenizer/);
    assertUserError(await cli('run', modelDir('gpt2'), '--tokens', new Array(65).fill(1).join(',')), /context is 64/);
    assertUserError(await cli('info', modelDir('gpt2'), '--backend', 'gpu'), /--backend/);
    assertUserError(await cli('frobnicate'), /unknown command/);
    const corrupt = path.join(tmp, 'corrupt.safetensors');
    await writeFile(corrupt, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 2, 3]));
    assertUserError(await cli('info', corrupt), /corrupt\.safetensors/);
  });
});

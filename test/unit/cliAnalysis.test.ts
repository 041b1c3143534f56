/**
 * The `composition` and `circuits` commands, run as a user runs them (the built dist/cli.js in a
 * child process): JSON of the documented shape with TransformerLens's numbers
 * (test/fixtures/circuits), and one line on stderr with exit code 1 for bad input.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { eigenvalueError, readCircuitGolden } from './helpers/circuitGolden';
import { maxAbsDiff, modelDir } from './helpers/fixtures';
import { SKIP_WITHOUT_CLI, assertUserError, cli } from './helpers/cli';

const TOLERANCE = 1e-4;

/** Largest |actual − expected| / max(1, |expected|) over two equally shaped matrices (as circuits.test.ts). */
function maxScaledDiff(actual: number[][], expected: number[][]): number {
  assert.deepEqual(shape(actual), shape(expected));
  return Math.max(...expected.flat().map((e, i) => Math.abs(actual.flat()[i]! - e) / Math.max(1, Math.abs(e))));
}

/** The shape of a nested array, e.g. [2, 4, 2, 4]. */
function shape(value: unknown): number[] {
  return Array.isArray(value) ? [value.length, ...shape(value[0])] : [];
}

describe('circuit-inspector composition and circuits', { skip: SKIP_WITHOUT_CLI }, () => {
  it('composition prints q, k, v as [layer1][head1][layer2][head2] with TransformerLens\'s scores', async () => {
    const golden = readCircuitGolden('gpt2');
    const result = await cli('composition', modelDir('gpt2'), '--backend', 'wasm');
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(out).sort(), ['k', 'processing', 'q', 'v']);
    for (const kind of ['q', 'k', 'v'] as const) {
      assert.deepEqual(shape(out[kind]), [2, 4, 2, 4]);
      assert.ok(maxAbsDiff(out[kind], golden.composition[kind]) <= TOLERANCE, kind);
      assert.ok((out[kind] as number[][][][]).every((byHead) => byHead.every((byLayer2) => byLayer2[0]!.every((v) => v === 0))), 'zero where layer1 ≥ layer2');
    }
  });

  it('composition --baseline subtracts one random-matrix mean and reports it', async () => {
    const golden = readCircuitGolden('llama');
    const result = await cli('composition', modelDir('llama'), '--baseline');
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    const { q, k, v } = out.baseline;
    assert.ok(q > 0 && q < 1 && q === k && k === v, JSON.stringify(out.baseline));
    const expected = golden.composition.v.map((byHead, layer1) => byHead.map((byLayer2) => byLayer2.map((row, layer2) => row.map((score) => (layer1 >= layer2 ? 0 : score - v)))));
    assert.ok(maxAbsDiff(out.v, expected) <= TOLERANCE);
    assert.match(out.processing, /baseline/);
  });

  it('circuits --tokens prints the circuits, eigenvalue pairs and copying scores of TransformerLens', async () => {
    const golden = readCircuitGolden('gpt2');
    const expected = (golden as unknown as { heads: { layer: number; head: number; qk: number[][]; ov: number[][]; positional_qk: number[][] }[] }).heads.find((h) => h.layer === 1 && h.head === 2)!;
    const result = await cli('circuits', modelDir('gpt2'), '--head', '1.2', '--tokens', golden.prompt.join(','));
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.deepEqual([out.layer, out.head], [1, 2]);
    assert.deepEqual(out.tokens, golden.tokens);
    assert.equal(out.tokenStrings.length, golden.tokens.length);
    assert.deepEqual(shape(out.qk), [golden.tokens.length, golden.tokens.length]);
    assert.ok(maxScaledDiff(out.qk, expected.qk) <= TOLERANCE, 'qk');
    assert.ok(maxScaledDiff(out.ov, expected.ov) <= TOLERANCE, 'ov');
    assert.deepEqual(shape(out.positionalQk), [golden.prompt.length, golden.prompt.length]);
    assert.ok(maxAbsDiff(out.positionalQk, expected.positional_qk) <= TOLERANCE);
    const spectrum = golden.spectra[1]![2]!;
    assert.deepEqual(shape(out.ovEigenvalues), [8, 2], '[re, im] pairs');
    assert.ok(eigenvalueError(out.ovEigenvalues.flat(), spectrum.ov) <= TOLERANCE);
    assert.ok(eigenvalueError(out.qkEigenvalues.flat(), spectrum.qk) <= TOLERANCE);
    assert.ok(Math.abs(out.copyingOV - spectrum.copying_ov) <= TOLERANCE);
    assert.ok(Math.abs(out.copyingQK - spectrum.copying_qk) <= TOLERANCE);
    assert.match(out.processing, /LayerNorm folded/);
  });

  it('circuits --prompt tokenizes; a model without a tokenizer takes --tokens and prints no strings', async () => {
    const prompt = 'def add(a, b): return a + b';
    const text = await cli('circuits', modelDir('gpt2'), '--head', '0.0', '--prompt', prompt);
    assert.equal(text.code, 0, text.stderr);
    const out = JSON.parse(text.stdout);
    assert.equal(out.tokenStrings.length, out.tokens.length);
    assert.equal(new Set(out.tokens).size, out.tokens.length, 'distinct tokens');
    const llama = await cli('circuits', modelDir('llama'), '--head', '1.3', '--tokens', '5,6,5,7');
    assert.equal(llama.code, 0, llama.stderr);
    const rotary = JSON.parse(llama.stdout);
    assert.deepEqual(rotary.tokens, [5, 6, 7]);
    assert.equal(rotary.tokenStrings, undefined);
    assert.equal(rotary.positionalQk, undefined);
    assert.deepEqual(shape(rotary.ov), [3, 3]);
    assert.deepEqual(shape(rotary.qkEigenvalues), [12, 2]);
  });

  it('bad input: one line on stderr, exit code 1', async () => {
    const gpt2 = modelDir('gpt2');
    assertUserError(await cli('circuits', gpt2, '--head', '2.0', '--tokens', '1,2'), /head 2\.0 does not exist .*2 layers × 4 heads/);
    assertUserError(await cli('circuits', gpt2, '--head', '0.4', '--tokens', '1,2'), /head 0\.4 does not exist/);
    assertUserError(await cli('circuits', gpt2, '--head', 'one', '--tokens', '1,2'), /--head must be LAYER\.HEAD/);
    assertUserError(await cli('circuits', gpt2, '--head', '1.-1', '--tokens', '1,2'), /--head must be LAYER\.HEAD/);
    assertUserError(await cli('circuits', gpt2, '--tokens', '1,2'), /--head LAYER\.HEAD is required/);
    assertUserError(await cli('circuits', gpt2, '--head', '1.2'), /exactly one of --prompt TEXT or --tokens/);
    assertUserError(await cli('circuits', gpt2, '--head', '1.2', '--prompt', 'a', '--tokens', '1'), /exactly one of --prompt TEXT or --tokens/);
    assertUserError(await cli('circuits', gpt2, '--head', '1.2', '--tokens', '1,x'), /--tokens must be comma-separated token ids/);
    assertUserError(await cli('circuits', gpt2, '--head', '1.2', '--tokens', '1,300'), /token id 300 is outside the model's vocabulary/);
    assertUserError(await cli('circuits', modelDir('llama'), '--head', '0.0', '--prompt', 'hi'), /no tokenizer\.json/);
    assertUserError(await cli('circuits', '--head', '1.2', '--tokens', '1'), /expected one model path/);
    assertUserError(await cli('composition', gpt2, '--baseline', 'extra'), /expected one model path, got 2/);
    assertUserError(await cli('composition', gpt2, '--seed', '3'), /Unknown option '--seed'/);
    assertUserError(await cli('composition', gpt2, '--backend', 'gpu'), /--backend must be one of/);
    assertUserError(await cli('composition', path.join(gpt2, 'missing')), /missing/);
  });
});

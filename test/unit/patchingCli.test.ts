/**
 * The CLI's ablation, patching and experiment commands, run as a user runs them (dist/cli.js in a
 * child process): JSON on stdout that agrees with the engine in-process, one line on stderr and
 * exit code 1 for bad input, and experiment files whose results are written back in place.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initBackend } from '../../src/engine/backend';
import { ablate, patchSweep } from '../../src/engine/interventions';
import { TransformerModel } from '../../src/engine/model/model';
import { modelDir } from './helpers/fixtures';
import { SKIP_WITHOUT_CLI, assertUserError, cli } from './helpers/cli';

const CLEAN = 'hello world, hello';
const CORRUPTED = 'hello worms, hello';

describe('circuit-inspector ablations, patching and experiments', { skip: SKIP_WITHOUT_CLI }, () => {
  let tmp = '';
  let model: TransformerModel;
  const gpt2 = modelDir('gpt2');
  before(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'cli-ablation-'));
    await initBackend('wasm');
    model = await TransformerModel.load(gpt2);
  });
  after(async () => {
    await model.dispose();
    await rm(tmp, { recursive: true, force: true });
  });

  it('run --ablate adds ablations and the metric, and prints the ablated forward pass', async () => {
    const result = await cli('run', gpt2, '--prompt', CLEAN, '--ablate', '0.1', '--ablate', '1.2:mean', '--ablate-mlp', '0', '--target', ',');
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    const tokens = model.tokenize(CLEAN).ids;
    const target = model.tokenizer!.encode(',', { addSpecialTokens: false }).ids[0]!;
    const interventions = [
      { kind: 'head', layer: 0, head: 1, method: 'zero' },
      { kind: 'head', layer: 1, head: 2, method: 'mean' },
      { kind: 'mlp', layer: 0, method: 'zero' },
    ] as const;
    assert.deepEqual(out.ablations, interventions);
    const expected = await ablate(model, { tokens, interventions, metric: { kind: 'logit', target } });
    assert.equal(out.metric.kind, 'logit');
    assert.equal(out.metric.target, target);
    assert.ok(Math.abs(out.metric.before - expected.metricBefore) <= 1e-4);
    assert.ok(Math.abs(out.metric.after - expected.metricAfter) <= 1e-4);
    assert.ok(Math.abs(out.loss - expected.lossAfter!) <= 1e-4, 'the printed forward pass is the ablated one');
    assert.ok(Math.abs(out.lossBefore - expected.lossBefore!) <= 1e-4);
    assert.ok(Math.abs(out.logits[target] - expected.metricAfter) <= 1e-4);

    const loss = JSON.parse((await cli('run', gpt2, '--prompt', CLEAN, '--ablate-attn', '1')).stdout);
    assert.equal(loss.metric.kind, 'loss');
    assert.ok(Math.abs(loss.metric.after - loss.loss) <= 1e-6);
  });

  it('patch prints the grid the engine computes', async () => {
    const result = await cli('patch', gpt2, '--clean', CLEAN, '--corrupted', CORRUPTED, '--target', ',', '--distractor', ' w', '--component', 'layers');
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    const clean = model.tokenize(CLEAN).ids;
    const corrupted = model.tokenize(CORRUPTED).ids;
    assert.equal(out.metric.kind, 'logitDiff');
    const expected = await patchSweep(model, { clean, corrupted, component: 'attn', metric: out.metric });
    assert.equal(out.component, 'attn');
    assert.deepEqual([out.rows, out.cols], [model.spec.nLayers, clean.length]);
    assert.equal(out.values.length, out.rows);
    const flat = (out.values as (number | null)[][]).flat();
    flat.forEach((v, i) => assert.ok(Math.abs(v! - expected.values[i]!) <= 1e-4, `entry ${i}: ${v} vs ${expected.values[i]}`));
    assert.ok(Math.abs(out.cleanMetric - expected.cleanMetric) <= 1e-5);
    assert.equal(out.labels.cols.length, clean.length);
  });

  it('bad input: unknown head, differing lengths, split targets, bad component', async () => {
    assertUserError(await cli('run', gpt2, '--prompt', CLEAN, '--ablate', '0.9'), /head 0\.9 does not exist.*4 heads/);
    assertUserError(await cli('run', gpt2, '--prompt', CLEAN, '--ablate', 'x'), /L\.H/);
    assertUserError(await cli('run', gpt2, '--prompt', CLEAN, '--ablate', '0.1:resample'), /corrupted prompt/);
    assertUserError(await cli('patch', gpt2, '--clean', CLEAN, '--corrupted', 'hi there', '--target', ',', '--component', 'heads'), /clean prompt has 14 tokens but the corrupted prompt has \d+/);
    assertUserError(
      await cli('patch', gpt2, '--clean', CLEAN, '--corrupted', CORRUPTED, '--target', 'hello', '--component', 'heads'),
      /target "hello" must be a single token.*splits it into 4: "he", "l", "l", "o"/,
    );
    assertUserError(await cli('patch', gpt2, '--clean', CLEAN, '--corrupted', CORRUPTED, '--component', 'mlp'), /--component must be heads, layers or resid/);
    assertUserError(await cli('patch', gpt2, '--corrupted', CORRUPTED, '--component', 'heads'), /--clean TEXT/);
  });

  it('experiment runs an ablation file and writes the results back in place', async () => {
    const file = path.join(tmp, 'ablation.experiment.json');
    const experiment = {
      version: 1,
      model: path.relative(tmp, gpt2),
      prompt: CLEAN,
      interventions: [{ kind: 'head', layer: 1, head: 0, method: 'zero' }],
      metric: { kind: 'prob', target: ',' },
    };
    await writeFile(file, JSON.stringify(experiment, null, 2));
    const result = await cli('experiment', file);
    assert.equal(result.code, 0, result.stderr);
    const printed = JSON.parse(result.stdout);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    assert.deepEqual({ ...saved, results: undefined }, { ...experiment, results: undefined }, 'the rest of the file is untouched');
    assert.deepEqual(saved.results, printed);
    assert.equal(printed.kind, 'ablation');
    const target = model.tokenizer!.encode(',', { addSpecialTokens: false }).ids[0]!;
    const expected = await ablate(model, { tokens: model.tokenize(CLEAN).ids, interventions: experiment.interventions as never, metric: { kind: 'prob', target } });
    assert.ok(Math.abs(printed.metricAfter - expected.metricAfter) <= 1e-5);
    assert.equal(printed.topAfter.ids.length, 10);
    // Re-running replaces the results.
    const again = await cli('experiment', file);
    assert.equal(again.code, 0, again.stderr);
    assert.notEqual(JSON.parse(await readFile(file, 'utf8')).results.ranAt, undefined);
  });

  it('experiment runs a patching file; malformed files are one-line errors', async () => {
    const file = path.join(tmp, 'patch.experiment.json');
    await writeFile(file, JSON.stringify({ version: 1, model: gpt2, prompt: CLEAN, corrupted: CORRUPTED, patch: { component: 'resid' }, metric: { kind: 'logit', target: ',' } }));
    const result = await cli('experiment', file);
    assert.equal(result.code, 0, result.stderr);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    assert.equal(saved.results.kind, 'patch');
    assert.equal(saved.results.values.length, model.spec.nLayers);

    const broken = path.join(tmp, 'broken.json');
    await writeFile(broken, JSON.stringify({ version: 1, model: gpt2, prompt: CLEAN, metric: { kind: 'loss' } }));
    assertUserError(await cli('experiment', broken), /exactly one of "interventions".*or "patch"/);
    await writeFile(broken, '{ nope');
    assertUserError(await cli('experiment', broken), /not valid JSON/);
    assertUserError(await cli('experiment', path.join(tmp, 'missing.json')), /missing\.json/);
  });
});

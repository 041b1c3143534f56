/** Host-side ablation bookkeeping and experiment files: labels, merging, validation, results written in place. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ablationResultsJson, buildExperiment, experimentFileName, parseExperimentText, patchResultsJson, relativeModelPath, resolveModelPath, withResults } from '../../src/host/experimentFile';
import { ablationStatusText, ablationSummary, checkInterventions, interventionLabel, mergeInterventions, metricLabel, needsCorrupted } from '../../src/host/interventions';
import type { AblationResult, Intervention, PatchResult } from '../../src/protocol/engine';

const HEAD: Intervention = { kind: 'head', layer: 1, head: 2, method: 'zero' };
const MLP: Intervention = { kind: 'mlp', layer: 0, method: 'mean' };

describe('host interventions', () => {
  it('labels interventions and the status bar', () => {
    assert.equal(interventionLabel(HEAD), 'L1H2 zero');
    assert.equal(interventionLabel(MLP), 'MLP L0 mean');
    assert.equal(interventionLabel({ kind: 'attn', layer: 3, method: 'resample' }), 'attn L3 resample');
    assert.equal(ablationStatusText([]), '');
    assert.equal(ablationStatusText([HEAD, MLP]), '· 2 ablated');
    assert.equal(ablationSummary([HEAD, MLP]), '2 ablated: L1H2 zero, MLP L0 mean');
  });

  it('merges: a component already ablated takes the new method in place, new ones go last', () => {
    const merged = mergeInterventions([HEAD, MLP], [{ ...HEAD, method: 'mean' }, { kind: 'head', layer: 0, head: 0, method: 'zero' }]);
    assert.deepEqual(merged, [{ ...HEAD, method: 'mean' }, MLP, { kind: 'head', layer: 0, head: 0, method: 'zero' }]);
    assert.equal(needsCorrupted(merged), false);
    assert.equal(needsCorrupted([{ ...MLP, method: 'resample' }]), true);
  });

  it('checks interventions against the model shape', () => {
    assert.equal(checkInterventions([HEAD], 2, 4), undefined);
    assert.match(checkInterventions([{ ...HEAD, head: 4 }], 2, 4)!, /no head 1\.4/);
    assert.match(checkInterventions([{ ...MLP, layer: 2 }], 2, 4)!, /no layer 2/);
  });

  it('labels metrics', () => {
    assert.equal(metricLabel({ kind: 'loss' }), 'loss');
    assert.equal(metricLabel({ kind: 'logitDiff', target: ' Mary', distractor: 7 }), 'logit(" Mary") − logit(#7)');
    assert.equal(metricLabel({ kind: 'prob', target: 3 }), 'P(#3)');
  });
});

describe('experiment files', () => {
  const file = path.join(path.sep, 'work', 'exp', 'ioi.experiment.json');

  it('writes the model path relative to the file and resolves it back', () => {
    const model = path.join(path.sep, 'work', 'models', 'gpt2');
    assert.equal(relativeModelPath(file, model), '../models/gpt2');
    assert.equal(resolveModelPath(file, '../models/gpt2'), model);
    assert.equal(experimentFileName('ioi'), 'ioi.experiment.json');
    assert.equal(experimentFileName('ioi.json'), 'ioi.experiment.json');
    assert.equal(experimentFileName('a/b'), 'a-b.experiment.json');
  });

  const ablation: AblationResult = {
    metricBefore: 2,
    metricAfter: 3,
    lossBefore: 2,
    lossAfter: 3,
    topBefore: { ids: new Int32Array([5, 6]), values: new Float32Array([0.5, 0.25]), strings: ['a', 'b'] },
    topAfter: { ids: new Int32Array([6]), values: new Float32Array([0.5]) },
    interventions: [HEAD],
  };

  it('builds an experiment that parses back, with plain-JSON results', () => {
    const results = ablationResultsJson([1, 2, 3], ablation, new Date(0));
    const experiment = buildExperiment(file, { modelPath: path.join(path.sep, 'work', 'exp', 'm'), prompt: 'hi', interventions: [HEAD], metric: { kind: 'loss' }, results });
    const parsed = parseExperimentText(JSON.stringify(experiment));
    assert.equal(parsed.model, 'm');
    assert.deepEqual(Object.keys(parsed), ['version', 'model', 'prompt', 'interventions', 'metric', 'results']);
    assert.deepEqual(parsed.results, { kind: 'ablation', ranAt: '1970-01-01T00:00:00.000Z', tokens: [1, 2, 3], metricBefore: 2, metricAfter: 3, lossBefore: 2, lossAfter: 3, topBefore: { ids: [5, 6], values: [0.5, 0.25], strings: ['a', 'b'] }, topAfter: { ids: [6], values: [0.5] } });
  });

  it('rejects malformed files with one clear message', () => {
    assert.throws(() => parseExperimentText('{'), /not valid JSON/);
    assert.throws(() => parseExperimentText('{"version":2}'), /unsupported version 2/);
    const base = { version: 1, model: 'm', prompt: 'p', metric: { kind: 'loss' } };
    assert.throws(() => parseExperimentText(JSON.stringify(base)), /exactly one of/);
    assert.throws(() => parseExperimentText(JSON.stringify({ ...base, patch: { component: 'heads' } })), /needs a "corrupted"/);
    assert.throws(() => parseExperimentText(JSON.stringify({ ...base, interventions: [{ kind: 'head', layer: 0, method: 'zero' }] })), /bad intervention/);
    assert.throws(() => parseExperimentText(JSON.stringify({ ...base, interventions: [HEAD], metric: { kind: 'logit' } })), /metric.target/);
  });

  it('writes results in place: other keys keep their order and values, 2-space JSON', () => {
    const text = '{\n    "version": 1, "model": "m", "prompt": [1, 2],\n "results": {"kind": "old"},\n "interventions": [{"kind": "mlp", "layer": 0, "method": "zero"}], "metric": {"kind": "loss"}, "note": "kept"}';
    const patch: PatchResult = { component: 'heads', rows: 1, cols: 2, values: new Float32Array([0.5, NaN]), raw: new Float32Array([1, 2]), cleanMetric: 1, corruptedMetric: 0, labels: { rows: ['L0'], cols: ['H0', 'H1'] } };
    const out = withResults(text, patchResultsJson(patch, new Date(0)));
    const json = JSON.parse(out) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ['version', 'model', 'prompt', 'results', 'interventions', 'metric', 'note']);
    assert.equal(json.note, 'kept');
    assert.deepEqual((json.results as { values: unknown }).values, [[0.5, null]]);
    assert.ok(out.startsWith('{\n  "version": 1,\n  "model": "m",'), out.slice(0, 40));
    assert.ok(out.endsWith('}\n'));
    assert.equal(withResults(out, patchResultsJson(patch, new Date(0))), out, 'a second write of the same results changes nothing');
  });
});

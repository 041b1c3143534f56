/** The webview's ablation and patching state and the Interventions tab's pure helpers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AblationResult, Intervention } from '../../src/protocol/engine';
import type { ToWebview } from '../../src/protocol/webview';
import { ablationBannerText, patchScaleMax, predictionChanges, signedDelta, topChanged } from '../../webview/lib/interventions';
import { initialState, isToWebview, reduce } from '../../webview/lib/state';

const HEAD: Intervention = { kind: 'head', layer: 0, head: 1, method: 'zero' };
const RESULT: AblationResult = {
  metricBefore: 1,
  metricAfter: 1.5,
  lossBefore: 1,
  lossAfter: 1.5,
  topBefore: { ids: new Int32Array([1, 2, 3]), values: new Float32Array([0.5, 0.3, 0.1]), strings: ['a', 'b', 'c'] },
  topAfter: { ids: new Int32Array([2, 1, 4]), values: new Float32Array([0.4, 0.35, 0.1]), strings: ['b', 'a', 'd'] },
  interventions: [HEAD],
};

function ablationMessage(resultId: number): ToWebview {
  return { type: 'ablationResult', resultId, prompt: 'p', tokenStrings: ['p'], metricLabel: 'loss', result: RESULT, saveable: true };
}

describe('webview interventions', () => {
  it('accepts the new host messages and keeps the active ablations', () => {
    assert.ok(isToWebview({ type: 'ablations', interventions: [] }));
    assert.ok(isToWebview(ablationMessage(1)));
    assert.ok(isToWebview({ type: 'patchResult' }));
    let s = reduce(initialState(), { type: 'ablations', interventions: [HEAD] });
    assert.deepEqual(s.ablations, [HEAD]);
    assert.equal(ablationBannerText(s.ablations), 'Ablated (1): L0H1 zero');
    s = reduce(s, { type: 'ablations', interventions: [] });
    assert.equal(ablationBannerText(s.ablations), '');
  });

  it('keeps the newest result: one finishing late does not replace it', () => {
    let s = reduce(initialState(), ablationMessage(2));
    assert.equal(s.interventionResult?.resultId, 2);
    s = reduce(s, ablationMessage(1));
    assert.equal(s.interventionResult?.resultId, 2);
    s = reduce(s, { type: 'showTab', tab: 'interventions' });
    assert.equal(s.tab, 'interventions');
  });

  it('lists prediction changes by rank after, dropped tokens last', () => {
    const rows = predictionChanges(RESULT.topBefore, RESULT.topAfter);
    assert.deepEqual(
      rows.map((r) => [r.text, r.change, r.rankBefore, r.rankAfter]),
      [
        ['b', 'moved', 1, 0],
        ['a', 'moved', 0, 1],
        ['d', 'new', undefined, 2],
        ['c', 'dropped', 2, undefined],
      ],
    );
    assert.ok(topChanged(RESULT.topBefore, RESULT.topAfter));
    assert.equal(signedDelta(1, 1.5), '+0.500');
    assert.equal(signedDelta(1.5, 1), '−0.500');
  });

  it('scales the patching grid symmetrically, at least to 1', () => {
    const base = { component: 'heads' as const, rows: 1, cols: 3, raw: new Float32Array(3), cleanMetric: 1, corruptedMetric: 0, labels: { rows: ['L0'], cols: ['H0', 'H1', 'H2'] } };
    assert.equal(patchScaleMax({ ...base, values: new Float32Array([0.2, NaN, -0.5]) }), 1);
    assert.equal(patchScaleMax({ ...base, values: new Float32Array([0.2, NaN, -1.5]) }), 1.5);
  });
});

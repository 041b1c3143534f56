/**
 * The webview's state reducer: host messages and user actions folded into the view state; stale
 * runs dropped; state persisted and restored through getState/setState.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Predictions } from '../../src/protocol/engine';
import type { ModelCard, ToWebview } from '../../src/protocol/webview';
import {
  gridShape,
  initialState,
  isToWebview,
  patternsReceived,
  persistedState,
  predictionPosition,
  reduce,
  sanitizeSaved,
  selectedCircuits,
  type Action,
  type ViewState,
} from '../../webview/lib/state';

const CARD: ModelCard = {
  architecture: 'gpt2',
  layers: 2,
  heads: 3,
  kvHeads: 3,
  dModel: 16,
  dHead: 4,
  dMlp: 64,
  vocab: 100,
  context: 32,
  parameters: 12345,
  dtype: 'float32',
  backend: 'cpu',
  tokenizer: true,
};
const PREDS: Predictions = { k: 1, ids: new Int32Array([5, 6, 7]), probs: new Float32Array([0.5, 0.4, 0.3]) };

function runMessage(runId: number, n = 3): ToWebview {
  return {
    type: 'run',
    runId,
    tokens: Array.from({ length: n }, (_, i) => 10 + i),
    tokenStrings: Array.from({ length: n }, (_, i) => `t${i}`),
    losses: new Float32Array(n - 1),
    predictions: PREDS,
    layers: 2,
    heads: 3,
  };
}
const pattern = (runId: number, layer: number, n = 3, heads = 3): ToWebview => ({ type: 'pattern', runId, layer, data: new Float32Array(heads * n * n).fill(layer + 1) });

function fold(actions: Action[], start: ViewState = initialState()): ViewState {
  return actions.reduce(reduce, start);
}

describe('state reducer', () => {
  it('collects one pattern per layer for the current run', () => {
    const s = fold([{ type: 'model', path: '/m', card: CARD }, runMessage(1), pattern(1, 1)]);
    assert.equal(s.run?.patterns[0], undefined);
    assert.equal(s.run?.patterns[1]?.[0], 2);
    assert.equal(patternsReceived(s), 1);
    assert.equal(patternsReceived(reduce(s, pattern(1, 0))), 2);
  });

  it('ignores patterns of a stale runId', () => {
    const s = fold([{ type: 'model', path: '/m', card: CARD }, runMessage(1), pattern(1, 0), runMessage(2)]);
    const after = reduce(s, pattern(1, 1));
    assert.equal(after, s, 'a stale pattern leaves the state untouched');
    assert.equal(after.run?.runId, 2);
    assert.deepEqual(after.run?.patterns, [undefined, undefined], 'the new run starts empty');
  });

  it('ignores a run older than the current one', () => {
    const s = fold([runMessage(5)]);
    assert.equal(reduce(s, runMessage(4)), s);
  });

  it('keeps patterns that arrive before their run message', () => {
    const s = fold([runMessage(1), pattern(2, 1), runMessage(2)]);
    assert.equal(s.run?.runId, 2);
    assert.equal(s.run?.patterns[1]?.[0], 2);
    assert.equal(s.early.size, 0);
  });

  it('drops patterns of the wrong size or layer', () => {
    const s = fold([runMessage(1)]);
    assert.equal(reduce(s, pattern(1, 0, 4)), s, 'wrong token count');
    assert.equal(reduce(s, pattern(1, 0, 3, 2)), s, 'wrong head count');
    assert.equal(reduce(s, pattern(1, 2)), s, 'no such layer');
  });

  it('a new model resets what belonged to the old one; the same model keeps it', () => {
    const s = fold([{ type: 'model', path: '/a', card: CARD }, runMessage(1), { type: 'tensorStats', name: 'w', stats: { count: 1, mean: 0, std: 0, min: 0, max: 0, absMax: 0, nanCount: 0, infCount: 0 } }]);
    assert.ok(reduce(s, { type: 'model', path: '/a', card: CARD }).run, 'same model (a replay) keeps the run');
    const other = reduce(s, { type: 'model', path: '/b', card: { ...CARD, layers: 1, heads: 1 } });
    assert.equal(other.run, undefined);
    assert.equal(other.stats.size, 0);
  });

  it('selecting a head clamps it to the model and keeps circuits per head', () => {
    let s = fold([{ type: 'model', path: '/a', card: CARD }, runMessage(1)]);
    s = reduce(s, { type: 'ui/selectHead', layer: 9, head: 9 });
    assert.deepEqual(s.selected, { layer: 1, head: 2 });
    assert.deepEqual(gridShape(s), { layers: 2, heads: 3 });
    const circuits = { layer: 1, head: 2, tokens: [1], qk: new Float32Array(1), ov: new Float32Array(1), processing: 'p' };
    s = reduce(s, { type: 'circuits', circuits });
    assert.equal(selectedCircuits(s), circuits);
    s = reduce(s, { type: 'selectHead', layer: 0, head: 0 });
    assert.equal(selectedCircuits(s), undefined, 'circuits of another head do not show');
    assert.equal(reduce(s, { type: 'selectHead', layer: 0, head: 0 }), s, 'selecting the same head changes nothing');
    assert.equal(reduce(s, runMessage(2)).circuits.size, 0, 'a new run (new tokens) drops circuits');
  });

  it('tracks statistics requests until the reply', () => {
    let s = reduce(initialState(), { type: 'ui/requestStats', name: 'w' });
    assert.ok(s.statsPending.has('w'));
    s = reduce(s, { type: 'tensorStats', name: 'w', stats: { count: 4, mean: 1, std: 0, min: 1, max: 1, absMax: 1, nanCount: 0, infCount: 0 } });
    assert.ok(!s.statsPending.has('w'));
    assert.equal(s.stats.get('w')?.count, 4);
  });

  it('prefills the prompt from the host, bumping the revision; typing does not', () => {
    let s = reduce(initialState(), { type: 'prompt', text: 'hello' });
    assert.equal(s.prompt, 'hello');
    assert.equal(s.promptRevision, 1);
    s = reduce(s, { type: 'ui/prompt', text: 'hello!' });
    assert.equal(s.prompt, 'hello!');
    assert.equal(s.promptRevision, 1);
  });

  it('shows errors until dismissed or until a run succeeds', () => {
    let s = reduce(initialState(), { type: 'error', message: 'bad file' });
    assert.equal(s.error, 'bad file');
    assert.equal(reduce(s, { type: 'ui/dismissError' }).error, undefined);
    s = reduce(s, runMessage(1));
    assert.equal(s.error, undefined);
  });

  it('predictions show the last position unless a token is picked', () => {
    let s = fold([runMessage(1)]);
    assert.equal(predictionPosition(s), 2);
    s = reduce(s, { type: 'ui/predictionPos', pos: 0 });
    assert.equal(predictionPosition(s), 0);
    assert.equal(predictionPosition(reduce(s, runMessage(2))), 2, 'a new run resets the pick');
  });

  it('predictions follow the editor cursor onto analyzed tokens, and back to the last position', () => {
    let s = fold([runMessage(1), { type: 'cursorToken', index: 1 }]);
    assert.equal(predictionPosition(s), 1);
    s = reduce(s, { type: 'cursorToken', index: null });
    assert.equal(predictionPosition(s), 2);
  });
});

describe('persisted state', () => {
  it('round-trips tab, prompt, head, hover direction and the particle view\'s β and δ', () => {
    let s = fold([
      { type: 'model', path: '/a', card: CARD },
      runMessage(1),
      { type: 'ui/selectHead', layer: 1, head: 2 },
      { type: 'ui/tab', tab: 'attention' },
      { type: 'ui/hoverDirection', direction: 'key' },
      { type: 'ui/prompt', text: 'x = 1' },
      { type: 'ui/particleParams', beta: 4, delta: 0.05 },
    ]);
    const saved = JSON.parse(JSON.stringify(persistedState(s)));
    assert.deepEqual(saved, { modelPath: '/a', prompt: 'x = 1', tab: 'attention', layer: 1, head: 2, hoverDirection: 'key', particleBeta: 4, particleDelta: 0.05 });
    s = initialState(sanitizeSaved(saved));
    assert.equal(s.tab, 'attention');
    assert.equal(s.prompt, 'x = 1');
    assert.deepEqual(s.selected, { layer: 1, head: 2 });
    assert.equal(s.hoverDirection, 'key');
    assert.equal(s.particleBeta, 4);
    assert.equal(s.particleDelta, 0.05);
  });

  it('drops malformed saved fields one by one', () => {
    assert.equal(sanitizeSaved(null), undefined);
    assert.equal(sanitizeSaved('x'), undefined);
    const s = sanitizeSaved({ prompt: 7, tab: 'nope', layer: -1, head: 2.5, hoverDirection: 'sideways', modelPath: '/m', particleBeta: 'x', particleDelta: 5 });
    assert.deepEqual(s, {
      modelPath: '/m',
      prompt: undefined,
      tab: undefined,
      layer: undefined,
      head: undefined,
      hoverDirection: undefined,
      particleBeta: undefined,
      particleDelta: 5,
    });
    const fresh = initialState(s);
    assert.equal(fresh.tab, 'prompt');
    assert.deepEqual(fresh.selected, { layer: 0, head: 0 });
    // δ = 5 is outside (0, 2): the defaults stand.
    assert.deepEqual([fresh.particleBeta, fresh.particleDelta], [initialState().particleBeta, initialState().particleDelta]);
  });

  it('recognises host messages and nothing else', () => {
    assert.ok(isToWebview({ type: 'pattern', runId: 1, layer: 0, data: new Float32Array() }));
    assert.ok(!isToWebview({ type: 'ui/tab', tab: 'model' }), 'page actions are not host messages');
    assert.ok(!isToWebview({ type: 'bogus' }));
    assert.ok(!isToWebview(null));
    assert.ok(!isToWebview('status'));
  });
});

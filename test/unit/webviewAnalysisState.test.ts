/**
 * The analysis part of the webview state: results fold in (and switch the tab's view only when
 * nobody asked for them), live as long as their model or run, requests are made once per key and
 * not retried after an error until the user asks, and pairs select their later head.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attribution, CompositionScores, HeadScores, Predictions, SkipTrigrams } from '../../src/protocol/engine';
import type { ModelCard, ToWebview } from '../../src/protocol/webview';
import { attributionQuery, compositionKey, headsKey, skipKey, wantedRequests } from '../../webview/lib/requests';
import { initialState, isToWebview, reduce, type Action, type ViewState } from '../../webview/lib/state';

const CARD: ModelCard = {
  architecture: 'gpt2',
  layers: 2,
  heads: 2,
  kvHeads: 2,
  dModel: 8,
  dHead: 4,
  dMlp: 32,
  vocab: 50,
  context: 16,
  parameters: 1000,
  dtype: 'float32',
  backend: 'cpu',
  tokenizer: true,
};
// Top prediction at position 0 is id 6, at position 1 id 8, at position 2 id 9.
const PREDS: Predictions = { k: 2, ids: new Int32Array([5, 6, 8, 7, 9, 4]), probs: Float32Array.from([0.1, 0.7, 0.6, 0.2, 0.5, 0.3]) };

const model = (path = '/m'): ToWebview => ({ type: 'model', path, card: CARD });
const run = (runId: number): ToWebview => ({ type: 'run', runId, tokens: [1, 2, 3], tokenStrings: ['a', 'b', 'c'], losses: new Float32Array(2), predictions: PREDS, layers: 2, heads: 2 });
const scores = (source: 'prompt' | 'random', n = 4): HeadScores => {
  const a = () => new Float32Array(n);
  return { layers: 2, heads: 2, source, previousToken: a(), duplicateToken: a(), induction: a(), sink: a(), copyingOV: a(), copyingQK: a(), processing: 'p' };
};
const comp = (baseline: boolean): CompositionScores => ({ layers: 2, heads: 2, q: new Float32Array(16), k: new Float32Array(16), v: new Float32Array(16), ...(baseline ? { baseline: { q: 0, k: 0, v: 0 } } : {}), processing: 'p' });
const tables = (layer: number, head: number, token: number): SkipTrigrams => {
  const empty = { ids: new Int32Array(0), values: new Float32Array(0) };
  return { layer, head, token, boosts: empty, suppresses: empty, attendsTo: empty, processing: 'p' };
};
const attribution = (position: number, target: number, contrast?: number): Attribution => ({
  position,
  target,
  ...(contrast !== undefined ? { contrast } : {}),
  heads: new Float32Array(4),
  attn: new Float32Array(2),
  mlp: new Float32Array(2),
  embed: 0,
  lens: { k: 1, ids: new Int32Array(9), probs: new Float32Array(9) },
});

const fold = (actions: Action[], start: ViewState = initialState()): ViewState => actions.reduce(reduce, start);
const loaded = (...more: Action[]) => fold([model(), run(1), ...more]);

describe('analysis results in the state', () => {
  it('a heads result nobody asked for switches the Heads tab to its source; an asked-for one does not', () => {
    const s = loaded();
    assert.equal(s.headsSource, 'prompt');
    const pushed = reduce(s, { type: 'heads', scores: scores('random') });
    assert.equal(pushed.headsSource, 'random', 'a command pushed random-token scores: show them');
    const asked = fold([{ type: 'ui/requested', key: headsKey('random', 1) }, { type: 'heads', scores: scores('random') }], s);
    assert.equal(asked.headsSource, 'prompt', 'the tab asked for them in the background: stay');
    assert.equal(asked.requests.has(headsKey('random', 1)), false, 'the request is done');
  });

  it('drops malformed scores and prompt scores without a run', () => {
    const s = loaded();
    assert.equal(reduce(s, { type: 'heads', scores: scores('random', 3) }), s, 'wrong length');
    for (const bad of [{ type: 'heads' }, { type: 'composition' }, { type: 'skipTrigrams', tables: null }, { type: 'attribution', attribution: {} }]) {
      assert.equal(reduce(s, bad as unknown as Action), s, `${bad.type} without a valid payload`);
    }
    const noRun = fold([model()]);
    assert.equal(reduce(noRun, { type: 'heads', scores: scores('prompt') }), noRun);
  });

  it('a new run drops prompt scores and attributions; random scores, composition and skip trigrams stay', () => {
    const s = loaded(
      { type: 'heads', scores: scores('prompt') },
      { type: 'heads', scores: scores('random') },
      { type: 'composition', scores: comp(false) },
      { type: 'skipTrigrams', tables: tables(0, 1, 2) },
      { type: 'attribution', attribution: attribution(2, 9) },
    );
    assert.ok(s.headScores.prompt && s.attributions.size === 1);
    const next = reduce(s, run(2));
    assert.equal(next.headScores.prompt, undefined);
    assert.ok(next.headScores.random);
    assert.ok(next.composition.raw);
    assert.equal(next.skipTrigrams.size, 1);
    assert.equal(next.attributions.size, 0);
  });

  it('a different model drops every result but keeps the tabs’ display choices', () => {
    const s = loaded({ type: 'heads', scores: scores('random') }, { type: 'ui/headsScore', score: 'sink' }, { type: 'ui/compositionBaseline', baseline: true }, { type: 'composition', scores: comp(true) });
    const next = reduce(s, model('/other'));
    assert.deepEqual(next.headScores, {});
    assert.deepEqual(next.composition, {});
    assert.equal(next.headsScore, 'sink');
    assert.equal(next.compositionBaseline, true);
    assert.equal(next.requests.size, 0);
  });

  it('composition results file under raw or baseline; a pushed one switches the toggle', () => {
    const s = loaded({ type: 'composition', scores: comp(true) });
    assert.ok(s.composition.baseline && !s.composition.raw);
    assert.equal(s.compositionBaseline, true);
  });

  it('attribution results are found by their query (position, target, contrast)', () => {
    const s = loaded({ type: 'ui/predictionPos', pos: 1 }, { type: 'ui/attributionContrast', contrast: 7 });
    const q = attributionQuery(s)!;
    assert.deepEqual({ position: q.position, target: q.target, contrast: q.contrast }, { position: 1, target: 8, contrast: 7 });
    const after = reduce(s, { type: 'attribution', attribution: attribution(1, 8, 7) });
    assert.ok(after.attributions.get(q.key));
  });

  it('moving the position forgets the chosen target and contrast', () => {
    const s = loaded({ type: 'ui/attributionTarget', target: 5 });
    assert.equal(attributionQuery(s)!.target, 5);
    const moved = reduce(s, { type: 'cursorToken', index: 0 });
    assert.deepEqual(moved.attributionChoice, {});
    assert.equal(attributionQuery(moved)!.target, 6, 'the top prediction at position 0');
  });
});

describe('pairs and heads', () => {
  it('selecting a pair selects its later head; another head drops the pair; the same head keeps it', () => {
    const pair = { from: { layer: 0, head: 1 }, to: { layer: 1, head: 0 } };
    const s = loaded({ type: 'ui/selectPair', pair });
    assert.deepEqual(s.selected, { layer: 1, head: 0 });
    assert.deepEqual(s.pair, pair);
    assert.deepEqual(reduce(s, { type: 'selectHead', layer: 1, head: 0 }).pair, pair, 'the host confirming the later head');
    assert.equal(reduce(s, { type: 'ui/selectHead', layer: 0, head: 0 }).pair, undefined);
  });

  it('showTab opens a tab; Heads opens ranked by induction; unknown tabs are ignored', () => {
    const s = loaded({ type: 'ui/headsSort', sort: { key: 'sink', descending: false } }, { type: 'ui/headsScore', score: 'sink' });
    const heads = reduce(s, { type: 'showTab', tab: 'heads' });
    assert.equal(heads.tab, 'heads');
    assert.deepEqual(heads.headsSort, { key: 'induction', descending: true });
    assert.equal(heads.headsScore, 'induction');
    assert.equal(reduce(s, { type: 'showTab', tab: 'composition' }).tab, 'composition');
    assert.equal(reduce(s, { type: 'showTab', tab: 'nonsense' }), s);
  });

  it('recognizes the new host messages', () => {
    for (const type of ['heads', 'composition', 'skipTrigrams', 'attribution', 'showTab']) assert.equal(isToWebview({ type }), true, type);
  });
});

describe('requests', () => {
  const on = (tab: ViewState['tab'], ...more: Action[]) => loaded({ type: 'ui/tab', tab }, ...more);

  it('only the visible tab asks, once per key, and only with a model', () => {
    assert.deepEqual(wantedRequests(on('attention')), []);
    assert.deepEqual(wantedRequests(fold([{ type: 'ui/tab', tab: 'composition' }])), [], 'no model');
    const heads = wantedRequests(on('heads'));
    assert.deepEqual(heads.map((r) => r.message), [{ type: 'requestHeads', source: 'prompt' }]);
    assert.deepEqual(wantedRequests(on('heads', { type: 'ui/requested', key: heads[0]!.key })), [], 'asked already');
    assert.deepEqual(wantedRequests(on('heads', { type: 'heads', scores: scores('prompt') })), [], 'have it');
    assert.deepEqual(wantedRequests(on('composition', { type: 'ui/compositionBaseline', baseline: true })).map((r) => r.message), [{ type: 'requestComposition', baseline: true }]);
  });

  it('prompt scores need a run; random ones do not', () => {
    const noRun = fold([model(), { type: 'ui/tab', tab: 'heads' }]);
    assert.deepEqual(wantedRequests(noRun), []);
    assert.deepEqual(wantedRequests(reduce(noRun, { type: 'ui/headsSource', source: 'random' })).map((r) => r.key), [headsKey('random', undefined)]);
  });

  it('skip trigrams follow the picked token and the selected head', () => {
    assert.deepEqual(wantedRequests(on('circuits')), [], 'no token picked');
    const picked = on('circuits', { type: 'ui/skipToken', token: 2 });
    assert.deepEqual(wantedRequests(picked), [{ key: skipKey(0, 0, 2), message: { type: 'requestSkipTrigrams', token: 2 } }]);
    const moved = reduce(picked, { type: 'ui/selectHead', layer: 1, head: 1 });
    assert.deepEqual(wantedRequests(moved).map((r) => r.key), [skipKey(1, 1, 2)]);
    assert.deepEqual(wantedRequests(reduce(moved, { type: 'skipTrigrams', tables: tables(1, 1, 2) })), []);
  });

  it('attribution asks at the last position for the top prediction by default, with an explicit target', () => {
    assert.deepEqual(wantedRequests(on('attribution')).map((r) => r.message), [{ type: 'requestAttribution', position: 2, target: 9 }]);
    assert.deepEqual(wantedRequests(on('attribution', { type: 'ui/predictionPos', pos: 0 }, { type: 'ui/attributionContrast', contrast: 5 })).map((r) => r.message), [
      { type: 'requestAttribution', position: 0, target: 6, contrast: 5 },
    ]);
  });

  it('an error fails what was pending; failed keys are not asked again until retried', () => {
    const key = compositionKey(false);
    const failed = on('composition', { type: 'ui/requested', key }, { type: 'error', message: 'engine says no' });
    assert.equal(failed.requests.get(key), 'failed');
    assert.deepEqual(wantedRequests(failed), []);
    assert.deepEqual(wantedRequests(reduce(failed, { type: 'ui/retry', key })).map((r) => r.key), [key]);
  });
});

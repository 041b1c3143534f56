/**
 * The analysis tabs' view logic (Heads, Composition, QK / OV spectrum and skip trigrams,
 * Attribution): rows, orders, crops, plot math and exports. Expected values are worked out by
 * hand from the definitions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Attribution, CompositionScores, HeadScores, SkipTrigrams } from '../../src/protocol/engine';
import { attributionCsv, attributionTotal, componentBars, defaultTarget, lensCsv, lensTable, topHeadBars } from '../../webview/lib/attribution';
import { paletteFromTheme } from '../../webview/lib/color';
import { composes, compositionCsv, cropCell, cropComposition, cropPair, headLabels, pairAt, pairScore, scoreRange, sharedMaxAbs, topPairs } from '../../webview/lib/composition';
import { headRows, headScoresCsv, nextHeadSort, scoreSummary, sortHeadRows, DEFAULT_HEAD_SORT } from '../../webview/lib/heads';
import { scaleIndex, scaleLabels, scaleLut } from '../../webview/lib/scale';
import { fromPixel, nearestPoint, niceTicks, scatterLayout, symmetricExtent, toPixel } from '../../webview/lib/scatter';
import { skipTrigramsCsv, tokenRows } from '../../webview/lib/skipTrigrams';
import { copyingStatistic, copyingVerdict, eigenPoints, spectrumCsv } from '../../webview/lib/spectrum';

const f32 = (xs: number[]) => Float32Array.from(xs);

/** 2 layers × 2 heads. */
function headScores(source: 'prompt' | 'random' = 'random'): HeadScores {
  return {
    layers: 2,
    heads: 2,
    source,
    previousToken: f32([0.9, 0.1, 0.05, 0.2]),
    duplicateToken: f32([0.01, 0.02, 0.6, 0.03]),
    induction: f32([0.0, 0.02, 0.1, 0.85]),
    sink: f32([0.05, 0.8, 0.1, 0.05]),
    copyingOV: f32([0.1, -0.3, 0.5, 0.9]),
    copyingQK: f32([0.2, 0.1, NaN, -0.4]),
    processing: 'folded',
  };
}

/** 2 layers × 2 heads: index = (l1·2 + h1)·4 + (l2·2 + h2). */
function composition(baseline = false): CompositionScores {
  const q = new Float32Array(16);
  const k = new Float32Array(16);
  const v = new Float32Array(16);
  // Only rows 0, 1 (layer 0) × columns 2, 3 (layer 1) compose.
  const set = (a: Float32Array, r: number, c: number, x: number) => (a[r * 4 + c] = x);
  set(q, 0, 2, 0.1), set(q, 0, 3, 0.2), set(q, 1, 2, 0.05), set(q, 1, 3, 0.07);
  set(k, 0, 2, 0.05), set(k, 0, 3, 0.45), set(k, 1, 2, 0.12), set(k, 1, 3, 0.06);
  set(v, 0, 2, 0.3), set(v, 0, 3, 0.04), set(v, 1, 2, 0.02), set(v, 1, 3, 0.09);
  return { layers: 2, heads: 2, q, k, v, ...(baseline ? { baseline: { q: 0.01, k: 0.02, v: 0.03 } } : {}), processing: 'folded' };
}

describe('heads', () => {
  it('one row per head in layer-then-head order, every score', () => {
    const rows = headRows(headScores());
    assert.deepEqual(
      rows.map((r) => [r.layer, r.head]),
      [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ],
    );
    assert.ok(Math.abs(rows[3]!.scores.induction - 0.85) < 1e-6);
    assert.ok(Math.abs(rows[1]!.scores.copyingOV + 0.3) < 1e-6);
  });

  it('sorts by a score, NaN last either way; by head in order', () => {
    const rows = headRows(headScores());
    const names = (sort: Parameters<typeof sortHeadRows>[1]) => sortHeadRows(rows, sort).map((r) => `${r.layer}.${r.head}`);
    assert.deepEqual(names(DEFAULT_HEAD_SORT), ['1.1', '1.0', '0.1', '0.0'], 'default: induction, strongest first');
    assert.deepEqual(names({ key: 'copyingQK', descending: true }), ['0.0', '0.1', '1.1', '1.0']);
    assert.deepEqual(names({ key: 'copyingQK', descending: false }), ['1.1', '0.1', '0.0', '1.0']);
    assert.deepEqual(names({ key: 'head', descending: true }), ['1.1', '1.0', '0.1', '0.0']);
  });

  it('a new column sorts strongest first, the same column flips, head starts ascending', () => {
    assert.deepEqual(nextHeadSort(DEFAULT_HEAD_SORT, 'sink'), { key: 'sink', descending: true });
    assert.deepEqual(nextHeadSort({ key: 'sink', descending: true }, 'sink'), { key: 'sink', descending: false });
    assert.deepEqual(nextHeadSort(DEFAULT_HEAD_SORT, 'head'), { key: 'head', descending: false });
  });

  it('summaries and CSV', () => {
    const rows = headRows(headScores());
    assert.equal(scoreSummary(rows[0]!), 'prev 0.90 · ind 0.00 · copy 0.10');
    assert.equal(scoreSummary(rows[2]!, ['copyingQK']), 'qk –');
    const csv = headScoresCsv(headScores()).trim().split('\r\n');
    assert.equal(csv[0], 'layer,head,name,previousToken,duplicateToken,induction,sink,copyingOV,copyingQK');
    assert.equal(csv.length, 5);
    assert.match(csv[4]!, /^1,1,L1H1,/);
  });
});

describe('composition', () => {
  it('only earlier → later layers compose; cells map to pairs', () => {
    assert.deepEqual(headLabels(2, 2), ['L0H0', 'L0H1', 'L1H0', 'L1H1']);
    assert.equal(composes(2, 1, 2), true);
    assert.equal(composes(2, 2, 3), false, 'same layer');
    assert.equal(composes(2, 3, 0), false, 'later → earlier');
    assert.deepEqual(pairAt(2, 2, 1, 3), { from: { layer: 0, head: 1 }, to: { layer: 1, head: 1 } });
    assert.equal(pairAt(2, 2, 2, 3), undefined);
    assert.equal(pairAt(2, 2, 0, 4), undefined, 'outside');
  });

  it('crops to writers (layers 0…L−2) × readers (layers 1…L−1); cropCell inverts cropPair', () => {
    const s = composition();
    const crop = cropComposition(s, 'k');
    assert.equal(crop.rows, 2);
    assert.equal(crop.cols, 2);
    assert.deepEqual(crop.rowLabels, ['L0H0', 'L0H1']);
    assert.deepEqual(crop.colLabels, ['L1H0', 'L1H1']);
    assert.deepEqual(Array.from(crop.values, (x) => +x.toFixed(2)), [0.05, 0.45, 0.12, 0.06]);
    const pair = cropPair(s, 0, 1)!;
    assert.deepEqual(pair, { from: { layer: 0, head: 0 }, to: { layer: 1, head: 1 } });
    assert.deepEqual(cropCell(s, pair), { row: 0, col: 1 });
    assert.ok(Math.abs(pairScore(s, 'k', pair) - 0.45) < 1e-6);
  });

  it('a three-layer crop masks the same-layer blocks', () => {
    const s: CompositionScores = { layers: 3, heads: 1, q: new Float32Array(9), k: new Float32Array(9), v: new Float32Array(9), processing: '' };
    assert.deepEqual(cropPair(s, 0, 0), { from: { layer: 0, head: 0 }, to: { layer: 1, head: 0 } });
    assert.deepEqual(cropPair(s, 0, 1), { from: { layer: 0, head: 0 }, to: { layer: 2, head: 0 } });
    assert.equal(cropPair(s, 1, 0), undefined, 'layer 1 → layer 1');
    assert.deepEqual(cropPair(s, 1, 1), { from: { layer: 1, head: 0 }, to: { layer: 2, head: 0 } });
  });

  it('strongest pairs, range, shared scale and CSV', () => {
    const s = composition();
    const top = topPairs(s, 'k', 2);
    assert.deepEqual(
      top.map((p) => [p.from.head, p.to.head]),
      [
        [0, 1],
        [1, 0],
      ],
    );
    assert.deepEqual(
      Object.values(scoreRange(s, 'v')).map((x) => +x.toFixed(2)),
      [0.02, 0.3],
    );
    assert.ok(Math.abs(sharedMaxAbs(s) - 0.45) < 1e-6);
    const lines = compositionCsv(s).trim().split('\r\n');
    assert.equal(lines[0], 'from_layer,from_head,to_layer,to_head,from,to,q,k,v');
    assert.equal(lines.length, 5, 'four composing pairs');
  });
});

describe('spectrum', () => {
  it('copying statistic: +1 positive reals, −1 negative reals, 0 for ±i', () => {
    assert.equal(copyingStatistic([2, 0, 3, 0]), 1);
    assert.equal(copyingStatistic([-2, 0, -1, 0]), -1);
    assert.equal(copyingStatistic([0, 1, 0, -1]), 0);
    assert.ok(Number.isNaN(copyingStatistic([])));
    assert.equal(copyingVerdict(0.9), 'strongly copying');
    assert.equal(copyingVerdict(-0.5), 'somewhat anti-copying');
  });

  it('points are scaled by the largest modulus', () => {
    const p = eigenPoints([3, 4, -1, 0, 0, 0]);
    assert.equal(p.maxModulus, 5);
    assert.deepEqual(Array.from(p.x, (v) => +v.toFixed(3)), [0.6, -0.2, 0]);
    assert.deepEqual(Array.from(p.y, (v) => +v.toFixed(3)), [0.8, 0, 0]);
    assert.deepEqual(Array.from(eigenPoints([0, 0]).x), [0], 'all-zero spectrum stays at the origin');
  });

  it('CSV lists both circuits', () => {
    const csv = spectrumCsv({ ovEigenvalues: f32([1, 0]), qkEigenvalues: f32([0, 2, 0, -2]), copyingOV: 1, copyingQK: 0 });
    assert.deepEqual(csv.trim().split('\r\n'), ['circuit,index,re,im,modulus', 'ov,0,1,0,1', 'qk,0,0,2,2', 'qk,1,0,-2,2']);
  });
});

describe('scatter math', () => {
  const domain = { x: [-1, 1] as const, y: [-1, 1] as const };
  const margin = { left: 40, right: 10, top: 10, bottom: 30 };

  it('data ↔ pixel round-trips; y grows upward', () => {
    const l = scatterLayout({ width: 300, height: 200, domain, margin });
    fc.assert(
      fc.property(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), (x, y) => {
        const { px, py } = toPixel(l, x, y);
        const back = fromPixel(l, px, py);
        return Math.abs(back.x - x) < 1e-9 && Math.abs(back.y - y) < 1e-9;
      }),
    );
    assert.ok(toPixel(l, 0, 1).py < toPixel(l, 0, -1).py);
  });

  it('equal aspect makes a square box for a square domain, centered', () => {
    const l = scatterLayout({ width: 300, height: 200, domain, margin, equalAspect: true });
    assert.equal(l.width, l.height);
    assert.equal(l.height, 160);
    assert.equal(l.left, 40 + (250 - 160) / 2);
  });

  it('hit testing finds the nearest point within the radius', () => {
    const l = scatterLayout({ width: 300, height: 200, domain, margin });
    const xs = [0, 0.5, NaN];
    const ys = [0, 0.5, 0];
    const p = toPixel(l, 0.5, 0.5);
    assert.equal(nearestPoint(l, xs, ys, p.px + 3, p.py - 2), 1);
    assert.equal(nearestPoint(l, xs, ys, p.px + 30, p.py), undefined);
  });

  it('nice ticks and extents', () => {
    assert.deepEqual(niceTicks(-1, 1, 4), [-1, -0.5, 0, 0.5, 1]);
    assert.deepEqual(niceTicks(0, 7, 4), [0, 2, 4, 6]);
    assert.equal(symmetricExtent([0.5, -2, NaN]), 2 * 1.08);
    assert.equal(symmetricExtent([]), 1);
  });
});

describe('scales', () => {
  const p = paletteFromTheme(() => '', 'dark');

  it('sequential maps 0..max onto the attention colors; diverging centers zero', () => {
    const seq = scaleIndex({ kind: 'sequential', max: 0.5 });
    assert.equal(seq(0), 0);
    assert.equal(seq(0.5), 255);
    assert.equal(seq(1), 255, 'clamped');
    assert.equal(seq(0.25), 128);
    const div = scaleIndex({ kind: 'diverging', maxAbs: 2 });
    assert.equal(div(0), 128);
    assert.equal(div(-2), 0);
    assert.equal(div(2), 256);
    assert.equal(scaleLut(p, { kind: 'sequential', max: 1 }), p.attentionLut);
    assert.equal(scaleLut(p, { kind: 'diverging', maxAbs: 1 }), p.divergingLut);
    assert.deepEqual(scaleLabels({ kind: 'sequential', max: 0.4 }), ['0', '0.2', '0.4']);
  });
});

function attributionOf(contrast?: number): Attribution {
  // 2 layers × 2 heads, 3 positions, k = 2.
  const k = 2;
  const rows = 3;
  const positions = 3;
  const ids = new Int32Array(rows * positions * k);
  const probs = new Float32Array(rows * positions * k);
  const strings: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let pos = 0; pos < positions; pos++) {
      for (let j = 0; j < k; j++) {
        const i = (r * positions + pos) * k + j;
        ids[i] = 100 * r + 10 * pos + j;
        // Rank 1 first on purpose: the table must sort by probability.
        probs[i] = j === 0 ? 0.2 : 0.5;
        strings.push(`t${r}${pos}${j}`);
      }
    }
  }
  return {
    position: 2,
    target: 7,
    ...(contrast !== undefined ? { contrast } : {}),
    heads: f32([0.5, -2, 1, 0.25]),
    attn: f32([-1.5, 1.25]),
    mlp: f32([0.5, -0.25]),
    embed: 1,
    lens: { k, ids, probs, strings },
  };
}

describe('attribution', () => {
  it('component bars in residual-stream order; the total is their sum', () => {
    const a = attributionOf();
    assert.deepEqual(
      componentBars(a).map((b) => `${b.label}=${b.value}`),
      ['embed=1', 'L0 attn=-1.5', 'L0 mlp=0.5', 'L1 attn=1.25', 'L1 mlp=-0.25'],
    );
    assert.equal(attributionTotal(a), 1);
  });

  it('with the engine’s bias terms the bars sum to its logit; the CSV carries them', () => {
    const a: Attribution = { ...attributionOf(), attnBias: f32([0.25, -0.5]), unembedBias: 0.5, logit: 1.5 };
    const bars = componentBars(a);
    assert.deepEqual(bars.at(-1), { label: 'unembed bias', value: 0.5, kind: 'bias' });
    assert.equal(attributionTotal(a), a.logit);
    const csv = attributionCsv(a, 2);
    assert.match(csv, /\r\nattn_bias,1,,L1 attn bias,-0\.5\r\n/);
    assert.match(csv, /\r\nlogit,,,forward pass,1\.5\r\n$/);
  });

  it('top heads by |value|', () => {
    assert.deepEqual(
      topHeadBars(attributionOf(), 2, 3).map((b) => b.label),
      ['L0H1', 'L1H0', 'L0H0'],
    );
  });

  it('the logit lens: rows embed, L0, L1; each cell sorted by probability', () => {
    const t = lensTable(attributionOf());
    assert.deepEqual(t.rowLabels, ['embed', 'L0', 'L1']);
    assert.equal(t.positions, 3);
    assert.equal(t.cells[2]![1]![0]!.text, 't211', 'the more probable entry comes first');
    assert.equal(t.cells[2]![1]![0]!.id, 211);
    const csv = lensCsv(t, ['a', 'b', 'c']).trim().split('\r\n');
    assert.equal(csv[0], 'after,position,token,rank,predicted_id,predicted_token,probability');
    assert.equal(csv.length, 1 + 3 * 3 * 2);
    assert.match(csv[1]!, /^embed,0,a,1,1,t001,0\.5/);
  });

  it('CSV names a difference when there is a contrast; the default target is the top prediction', () => {
    assert.match(attributionCsv(attributionOf(), 2), /,logit_contribution\r\n/);
    assert.match(attributionCsv(attributionOf(3), 2), /,logit_difference_contribution\r\n/);
    assert.equal(attributionCsv(attributionOf(), 2).trim().split('\r\n').length, 1 + 5 + 4);
    const preds = { k: 2, ids: new Int32Array([5, 6, 8, 9]), probs: f32([0.1, 0.7, 0.6, 0.2]) };
    assert.equal(defaultTarget(preds, 0), 6);
    assert.equal(defaultTarget(preds, 1), 8);
    assert.equal(defaultTarget(preds, 2), undefined);
  });
});

describe('skip trigrams', () => {
  it('rows keep the engine’s ranking; CSV has all three tables', () => {
    const list = (ids: number[], values: number[]) => ({ ids: Int32Array.from(ids), values: f32(values), strings: ids.map((i) => `w${i}`) });
    const t: SkipTrigrams = { layer: 1, head: 0, token: 5, boosts: list([1, 2], [3, 1]), suppresses: list([3], [-2]), attendsTo: list([4], [0.5]), processing: '' };
    assert.deepEqual(
      tokenRows(t.boosts).map((r) => [r.rank, r.text, r.value]),
      [
        [1, 'w1', 3],
        [2, 'w2', 1],
      ],
    );
    assert.deepEqual(tokenRows({ ids: Int32Array.from([9]), values: f32([1]) })[0]!.text, '#9', 'no strings: the id');
    assert.deepEqual(skipTrigramsCsv(t).trim().split('\r\n'), ['table,rank,token_id,token,value', 'boosts,1,1,w1,3', 'boosts,2,2,w2,1', 'suppresses,1,3,w3,-2', 'attendsTo,1,4,w4,0.5']);
  });
});

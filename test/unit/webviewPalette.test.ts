/**
 * The words the palette commands put next to the panel: Find Induction Heads' message and Explain
 * Head's quick-pick labels (src/commands/headSummary.ts, pure).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headScoreLabel, inductionSummary, topHeads } from '../../src/commands/headSummary';
import type { HeadScores } from '../../src/protocol/engine';

const f32 = (xs: number[]) => Float32Array.from(xs);

function scores(induction: number[], source: 'prompt' | 'random' = 'random'): HeadScores {
  const n = induction.length;
  return {
    layers: 2,
    heads: n / 2,
    source,
    previousToken: f32(Array.from({ length: n }, (_, i) => (i === 0 ? 0.912 : 0.01))),
    duplicateToken: new Float32Array(n),
    induction: f32(induction),
    sink: new Float32Array(n),
    copyingOV: f32(Array.from({ length: n }, (_, i) => (i === 1 ? -0.25 : 0.7))),
    copyingQK: new Float32Array(n),
    processing: '',
  };
}

describe('palette command words', () => {
  it('ranks heads by a score, highest first, NaN left out', () => {
    const s = scores([0.1, NaN, 0.9, 0.4]);
    assert.deepEqual(
      topHeads(s, 'induction', 2).map((h) => [h.layer, h.head]),
      [
        [1, 0],
        [1, 1],
      ],
    );
    assert.equal(topHeads(s, 'induction', 10).length, 3);
  });

  it('names the induction heads above the threshold, or says none is strong', () => {
    assert.equal(inductionSummary(scores([0.01, 0.02, 0.93, 0.41])), 'Induction heads on repeated random tokens: L1H0 (0.93), L1H1 (0.41).');
    assert.equal(inductionSummary(scores([0.01, 0.02, 0.12, 0.05], 'prompt')), 'No strong induction head on this prompt: the best is L1H0 (0.12).');
  });

  it('quick-pick labels: previous-token, induction and OV copying, when known', () => {
    const s = scores([0.02, 0, 0, 0]);
    assert.equal(headScoreLabel(s, 0, 0), 'prev 0.91 · ind 0.02 · copy 0.70');
    assert.equal(headScoreLabel(s, 0, 1), 'prev 0.01 · ind 0.00 · copy −0.25');
    assert.equal(headScoreLabel(undefined, 0, 0), undefined);
    assert.equal(headScoreLabel(s, 5, 0), undefined, 'a head the scores do not cover');
  });
});

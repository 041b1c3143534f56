/**
 * Skip-trigram tables against TransformerLens's full OV and QK rows over the whole vocabulary
 * (`W_E[t] @ model.OV[l, h] @ W_U`, `W_E[t] @ model.QK[l, h] @ W_E.T`;
 * test/fixtures/circuits/generate.py), and against the circuits restricted to a prompt's tokens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { headCircuits } from '../../src/engine/analysis/circuits';
import { skipTrigrams } from '../../src/engine/analysis/skipTrigrams';
import { initBackend } from '../../src/engine/backend';
import type { EngineError } from '../../src/engine/errors';
import { TransformerModel } from '../../src/engine/model/model';
import type { TokenList } from '../../src/protocol/engine';
import { GOLDEN_MODELS, readCircuitGolden, type GoldenRanking } from './helpers/circuitGolden';
import { modelDir } from './helpers/fixtures';

const TOLERANCE = 1e-4;

function assertRanking(actual: TokenList, expected: GoldenRanking, what: string): number {
  assert.deepEqual(Array.from(actual.ids), expected.ids, `${what}: token ids in TransformerLens's order`);
  let worst = 0;
  expected.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(actual.values[i]! - v) / Math.max(1, Math.abs(v)))));
  assert.ok(worst <= TOLERANCE, `${what}: values differ from TransformerLens by ${worst}`);
  return worst;
}

for (const name of GOLDEN_MODELS) {
  describe(`skip-trigrams on ${name} vs TransformerLens`, () => {
    let model: TransformerModel;
    const golden = readCircuitGolden(name);
    const expected = golden.skip_trigrams;
    before(async () => {
      await initBackend('wasm');
      model = await TransformerModel.load(modelDir(name));
    });
    after(() => model.dispose());

    it(`boosts, suppresses and attendsTo over the whole vocabulary within ${TOLERANCE}`, async (t) => {
      const before = tf.memory().numTensors;
      const result = await skipTrigrams(model, expected.layer, expected.head, expected.token, expected.k);
      assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
      assert.deepEqual([result.layer, result.head, result.token], [expected.layer, expected.head, expected.token]);
      const worst = Math.max(
        assertRanking(result.boosts, expected.boosts, 'boosts'),
        assertRanking(result.suppresses, expected.suppresses, 'suppresses'),
        assertRanking(result.attendsTo, expected.attends_to, 'attendsTo'),
      );
      t.diagnostic(`${name}: largest difference from TransformerLens ${worst.toExponential(2)}`);
      assert.match(result.processing, /W_U centered/);
      if (model.tokenizer) {
        for (const list of [result.boosts, result.suppresses, result.attendsTo]) {
          assert.deepEqual(list.strings, Array.from(list.ids, (id) => model.tokenizer!.tokenString(id)));
        }
      } else {
        assert.equal(result.boosts.strings, undefined);
      }
    });

    it('k = the vocabulary gives the full rows: they agree with the circuits on the prompt tokens', async () => {
      const { layer, head } = expected;
      const circuits = await headCircuits(model, layer, head, golden.prompt);
      const tokens = circuits.tokens;
      const n = tokens.length;
      for (const [row, source] of tokens.entries()) {
        const result = await skipTrigrams(model, layer, head, source, model.spec.dVocab);
        assert.equal(result.boosts.ids.length, model.spec.dVocab);
        assert.deepEqual(Array.from(result.suppresses.ids), Array.from(result.boosts.ids).reverse(), 'suppresses = boosts reversed');
        const ov = new Map(Array.from(result.boosts.ids, (id, i) => [id, result.boosts.values[i]!]));
        const qk = new Map(Array.from(result.attendsTo.ids, (id, i) => [id, result.attendsTo.values[i]!]));
        for (const [column, target] of tokens.entries()) {
          assert.ok(Math.abs(ov.get(target)! - circuits.ov[row * n + column]!) <= 1e-5, 'OV row = the circuits OV row');
          assert.ok(Math.abs(qk.get(target)! - circuits.qk[row * n + column]!) <= 1e-5, 'QK row = the circuits QK row');
        }
        for (let i = 1; i < model.spec.dVocab; i++) assert.ok(result.boosts.values[i - 1]! >= result.boosts.values[i]!, 'ranked');
      }
    });

    it('rejects heads, tokens and k that do not exist', async () => {
      const s = model.spec;
      const bad: [number, number, number, number][] = [
        [s.nLayers, 0, 1, 5],
        [0, s.nHeads, 1, 5],
        [0, 0, s.dVocab, 5],
        [0, 0, -1, 5],
        [0, 0, 1.5, 5],
        [0, 0, 1, 0],
        [0, 0, 1, 2.5],
      ];
      for (const [layer, head, token, k] of bad) {
        await assert.rejects(skipTrigrams(model, layer, head, token, k), (e: EngineError) => e.code === 'BAD_ARGUMENT');
      }
      const all = await skipTrigrams(model, 0, 0, 1, s.dVocab + 50);
      assert.equal(all.boosts.ids.length, s.dVocab, 'k is capped at the vocabulary size');
      const defaults = await skipTrigrams(model, 0, 0, 1);
      assert.equal(defaults.attendsTo.ids.length, 10);
    });
  });
}

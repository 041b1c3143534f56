/**
 * On the two-layer induction fixture (test/fixtures/models/induction, trained by another
 * engineer; circuit.json names its previous-token and induction heads): zero- and mean-ablating
 * either head of the circuit raises the loss on the repeated half of repeated random tokens far
 * more (at least 2×) than ablating any head outside the circuit. Skipped while the fixture is absent.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AblationMethod } from '../../src/protocol/engine';
import { randomRepeatedTokens } from '../../src/engine/analysis/randomRepeats';
import { initBackend } from '../../src/engine/backend';
import { ablationHooks } from '../../src/engine/interventions';
import { TransformerModel } from '../../src/engine/model/model';
import { modelDir } from './helpers/fixtures';

const DIR = modelDir('induction');
const present = existsSync(path.join(DIR, 'circuit.json'));

describe('ablating the induction circuit', { skip: present ? false : 'test/fixtures/models/induction not there yet' }, () => {
  let model: TransformerModel;
  let circuit: { previous_token_head: [number, number]; induction_head: [number, number] };
  before(async () => {
    await initBackend('wasm');
    model = await TransformerModel.load(DIR);
    circuit = JSON.parse(readFileSync(path.join(DIR, 'circuit.json'), 'utf8')).circuit;
  });
  after(() => model?.dispose());

  /** Mean loss over the second copy's predictions (targets after the first repeated token). */
  async function repeatedHalfLoss(tokens: number[][], n: number, ablated?: { layer: number; head: number; method: AblationMethod }): Promise<number> {
    const ablation = ablated ? await ablationHooks(model, [{ kind: 'head', ...ablated }], { tokens: tokens[0]! }) : undefined;
    const result = await model.runWithHooks(tokens, ablation?.hooks ?? new Map(), { logits: 'none' });
    try {
      const loss = (await result.loss!.array()) as number[][];
      const offset = tokens[0]!.length - 2 * n; // the BOS, if any
      let sum = 0;
      let count = 0;
      for (const row of loss) for (let t = offset + n; t < offset + 2 * n - 1; t++) (sum += row[t]!), count++;
      return sum / count;
    } finally {
      result.dispose();
      ablation?.dispose();
    }
  }

  for (const method of ['zero', 'mean'] as const) {
    it(`${method}-ablating the previous-token or induction head costs far more than any other head`, async () => {
      const n = Math.min(20, Math.floor((model.spec.nCtx - 1) / 2));
      const tokens = randomRepeatedTokens(model.spec, { length: n, batch: 8, seed: 5 });
      const base = await repeatedHalfLoss(tokens, n);
      const inCircuit = (l: number, h: number) =>
        (l === circuit.previous_token_head[0] && h === circuit.previous_token_head[1]) || (l === circuit.induction_head[0] && h === circuit.induction_head[1]);
      const circuitRise: number[] = [];
      const otherRise: number[] = [];
      for (let layer = 0; layer < model.spec.nLayers; layer++) {
        for (let head = 0; head < model.spec.nHeads; head++) {
          const rise = (await repeatedHalfLoss(tokens, n, { layer, head, method })) - base;
          (inCircuit(layer, head) ? circuitRise : otherRise).push(rise);
        }
      }
      const worstOther = Math.max(0, ...otherRise);
      if (process.env.SHOW_RISES) console.log(JSON.stringify({ method, base, circuitRise, otherRise }));
      assert.equal(circuitRise.length, 2);
      for (const rise of circuitRise) {
        assert.ok(rise > 0.2 && rise > 2 * worstOther, `circuit head raises the repeated-half loss by ${rise.toFixed(3)} nats; other heads at most ${worstOther.toFixed(3)} (base ${base.toFixed(3)})`);
      }
    });
  }
});

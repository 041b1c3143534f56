/**
 * The forward pass against Hugging Face transformers, for every family and every backend this
 * machine can run: logits within 1e-4, attention probabilities within 1e-5, hidden states (the
 * residual stream entering each block, and the final norm's output) and the loss.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { backendFailure, initBackend, type BackendName } from '../../src/engine/backend';
import { HOOK } from '../../src/engine/model/hooks';
import { TransformerModel } from '../../src/engine/model/model';
import { FIXTURE_MODELS, maxAbsDiff, modelDir, readReference } from './helpers/fixtures';

const LOGITS_TOLERANCE = 1e-4;
const PATTERN_TOLERANCE = 1e-5;

const BACKENDS: BackendName[] = ['cpu', 'wasm', 'tensorflow'];

for (const backend of BACKENDS) {
  describe(`parity with transformers on the ${backend} backend`, () => {
    let available = false;
    before(async () => {
      available = await initBackend(backend).then(
        () => true,
        () => false,
      );
    });

    for (const name of FIXTURE_MODELS) {
      describe(name, () => {
        let model: TransformerModel | undefined;
        const reference = readReference(name);
        before(async () => {
          if (available) model = await TransformerModel.load(modelDir(name));
        });
        after(async () => model?.dispose());

        reference.cases.forEach((testCase, caseIndex) => {
          it(`case ${caseIndex} (${testCase.tokens.length} tokens)`, async (t) => {
            if (!model) return t.skip(`${backend} backend unavailable: ${backendFailure(backend) ?? ''}${backend === 'tensorflow' ? ' (scripts/stage-libtensorflow builds it)' : ''}`);
            const spec = model.spec;
            const patternNames = Array.from({ length: spec.nLayers }, (_, l) => HOOK.pattern(l));
            const residNames = Array.from({ length: spec.nLayers }, (_, l) => HOOK.residPre(l));
            const result = await model.runWithCache(testCase.tokens, [...patternNames, ...residNames, HOOK.lnFinalNormalized]);
            try {
              const logits = (await result.logits!.array())[0]!;
              assert.ok(maxAbsDiff(logits, testCase.logits) <= LOGITS_TOLERANCE, `logits differ by ${maxAbsDiff(logits, testCase.logits)}`);

              for (let layer = 0; layer < spec.nLayers; layer++) {
                const pattern = (await result.cache.get(HOOK.pattern(layer))!.array() as number[][][][])[0]!;
                const diff = maxAbsDiff(pattern, testCase.attentions[layer]!);
                assert.ok(diff <= PATTERN_TOLERANCE, `layer ${layer} attention differs by ${diff}`);
              }

              const loss = (await tf.mean(result.loss!).data())[0]!;
              assert.ok(Math.abs(loss - testCase.loss) <= LOGITS_TOLERANCE, `loss ${loss} vs ${testCase.loss}`);

              if (testCase.hidden_states) {
                const hidden = testCase.hidden_states;
                for (let layer = 0; layer < spec.nLayers; layer++) {
                  const resid = (await result.cache.get(HOOK.residPre(layer))!.array() as number[][][])[0]!;
                  const diff = maxAbsDiff(resid, hidden[layer]!);
                  assert.ok(diff <= LOGITS_TOLERANCE, `resid_pre ${layer} differs by ${diff}`);
                }
                const final = (await result.cache.get(HOOK.lnFinalNormalized)!.array() as number[][][])[0]!;
                const diff = maxAbsDiff(final, hidden[spec.nLayers]!);
                assert.ok(diff <= LOGITS_TOLERANCE, `final norm output differs by ${diff}`);
              }
            } finally {
              result.dispose();
            }
          });
        });
      });
    }
  });
}

/**
 * What the journeys expect the panel to show, computed here in-process through the engine rather
 * than written down: the head the induction detector ranks first on repeated random tokens, with
 * the setting the extension uses (the `circuitInspector.detectors.*` defaults from package.json,
 * the random half shortened to fit the model's context as src/host/session.ts does).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { headScores } from '../../src/engine/analysis/detectors';
import { initBackend } from '../../src/engine/backend';
import { TransformerModel } from '../../src/engine/model/model';
import { headName, topHeads } from '../../src/commands/headSummary';
import { REPO_ROOT } from '../runner/buildSuite';

export interface ExpectedModel {
  readonly layers: number;
  readonly heads: number;
  /** The top induction head: layer, head, score and its name as the panel writes it ("L1H2"). */
  readonly induction: { readonly layer: number; readonly head: number; readonly score: number; readonly name: string };
}

interface SettingSchema {
  readonly default?: unknown;
}

function detectorDefault(name: 'randomLength' | 'batch' | 'seed'): number {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, SettingSchema> } } };
  const value = manifest.contributes.configuration.properties[`circuitInspector.detectors.${name}`]?.default;
  if (typeof value !== 'number') throw new Error(`package.json has no numeric default for circuitInspector.detectors.${name}`);
  return value;
}

export async function expectedFor(modelDir: string): Promise<ExpectedModel> {
  await initBackend('wasm');
  const model = await TransformerModel.load(modelDir);
  try {
    const { nLayers: layers, nHeads: heads, nCtx } = model.spec;
    const length = Math.max(1, Math.min(detectorDefault('randomLength'), Math.floor((nCtx - 1) / 2)));
    const scores = await headScores(model, { random: { length, batch: detectorDefault('batch'), seed: detectorDefault('seed') } });
    const [top] = topHeads(scores, 'induction', 1);
    if (!top) throw new Error(`the engine gave no induction scores for ${modelDir}`);
    return { layers, heads, induction: { ...top, name: headName(top.layer, top.head) } };
  } finally {
    await model.dispose();
  }
}

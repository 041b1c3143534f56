/**
 * `circuit-inspector composition <model> [--baseline] [--backend B]`: Q-, K- and V-composition
 * scores of every pair of heads in earlier → later layers (TransformerLens's
 * all_composition_scores on processed weights), as JSON `{q, k, v, processing}`, each nested
 * `[layer1][head1][layer2][head2]` with zeros where layer1 ≥ layer2. `--baseline` subtracts the
 * mean score of random matrices of the same shapes and reports it as `baseline: {q, k, v}`.
 */
import { compositionScores } from '../engine/analysis/composition';
import { initBackend } from '../engine/backend';
import { TransformerModel } from '../engine/model/model';
import { backendOption, modelArgument, parse } from './args';
import { printJson } from './output';

/** A flat [layers, heads, layers, heads] array as nested lists. */
function nest(flat: Float32Array, layers: number, heads: number): number[][][][] {
  const row = (layer1: number, head1: number, layer2: number) => {
    const start = ((layer1 * heads + head1) * layers + layer2) * heads;
    return Array.from(flat.subarray(start, start + heads));
  };
  return Array.from({ length: layers }, (_, layer1) =>
    Array.from({ length: heads }, (_, head1) => Array.from({ length: layers }, (_, layer2) => row(layer1, head1, layer2))),
  );
}

export async function compositionCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { baseline: { type: 'boolean' }, backend: { type: 'string' } });
  const modelPath = modelArgument(positionals, 'composition');
  const backend = backendOption(values.backend);
  await initBackend(backend);
  const model = await TransformerModel.load(modelPath);
  try {
    const scores = await compositionScores(model, { baseline: values.baseline === true });
    printJson({
      q: nest(scores.q, scores.layers, scores.heads),
      k: nest(scores.k, scores.layers, scores.heads),
      v: nest(scores.v, scores.layers, scores.heads),
      ...(scores.baseline ? { baseline: scores.baseline } : {}),
      processing: scores.processing,
    });
  } finally {
    await model.dispose();
  }
}

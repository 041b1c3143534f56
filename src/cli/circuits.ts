/**
 * `circuit-inspector circuits <model> --head L.H (--prompt TEXT | --tokens IDS) [--backend B]`:
 * one head's full QK and OV circuits restricted to the prompt's distinct tokens (first-seen
 * order), the eigenvalues of both full circuits and their copying scores, on TransformerLens's
 * processed weights, as JSON:
 *   {layer, head, tokens, tokenStrings?, qk: [query][key], ov: [source][output],
 *    ovEigenvalues: [[re, im], …], qkEigenvalues, copyingOV, copyingQK,
 *    positionalQk?: [query][key] (learned-position models), processing}
 */
import { headCircuits } from '../engine/analysis/circuits';
import { initBackend } from '../engine/backend';
import { TransformerModel } from '../engine/model/model';
import { backendOption, modelArgument, parse, tokenList } from './args';
import { printJson, UsageError } from './output';

/** "1.3" → layer 1, head 3. */
export function headArgument(value: string | boolean | undefined): { layer: number; head: number } {
  if (value === undefined) throw new UsageError('--head LAYER.HEAD is required, e.g. --head 1.3');
  const match = typeof value === 'string' ? /^\s*(\d+)\.(\d+)\s*$/.exec(value) : null;
  if (!match) throw new UsageError(`--head must be LAYER.HEAD with whole numbers, e.g. 1.3, got "${String(value)}"`);
  return { layer: Number(match[1]), head: Number(match[2]) };
}

/** A row-major n × m array as nested lists. */
function rows(flat: Float32Array, n: number, m: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * m, (i + 1) * m)));
}

/** [re, im, re, im, …] → [[re, im], …]. */
function pairs(flat: Float32Array): [number, number][] {
  return Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, flat[2 * i + 1]!]);
}

export async function circuitsCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    head: { type: 'string' },
    prompt: { type: 'string' },
    tokens: { type: 'string' },
    backend: { type: 'string' },
  });
  const modelPath = modelArgument(positionals, 'circuits');
  const { layer, head } = headArgument(values.head);
  if ((values.prompt === undefined) === (values.tokens === undefined)) throw new UsageError('give exactly one of --prompt TEXT or --tokens 1,2,3');
  const tokensArg = typeof values.tokens === 'string' ? tokenList(values.tokens) : undefined;
  const backend = backendOption(values.backend);

  await initBackend(backend);
  const model = await TransformerModel.load(modelPath);
  try {
    const tokens = tokensArg ?? model.tokenize(values.prompt as string).ids;
    const result = await headCircuits(model, layer, head, tokens);
    const n = result.tokens.length;
    const spectrum = result.spectrum!;
    printJson({
      layer: result.layer,
      head: result.head,
      tokens: result.tokens,
      ...(result.tokenStrings ? { tokenStrings: result.tokenStrings } : {}),
      qk: rows(result.qk, n, n),
      ov: rows(result.ov, n, n),
      ovEigenvalues: pairs(spectrum.ovEigenvalues),
      qkEigenvalues: pairs(spectrum.qkEigenvalues),
      copyingOV: spectrum.copyingOV,
      copyingQK: spectrum.copyingQK,
      ...(result.positionalQk ? { positionalQk: rows(result.positionalQk, result.positions!, result.positions!) } : {}),
      processing: result.processing,
    });
  } finally {
    await model.dispose();
  }
}

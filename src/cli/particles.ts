/**
 * `circuit-inspector particles <model> (--prompt TEXT | --tokens IDS) [--beta B] [--delta D] [--backend B]`:
 * the particle view's per-layer statistics (Geshkovski et al. 2023): each token's residual stream
 * as the next norm sees it, on the unit sphere, one snapshot per block input plus the final stream,
 * as JSON:
 *   {tokens, tokenTexts, beta, delta, dModel, explainedVariance,
 *    layers: [{layer, label, clusters, meanCosine, minCosine, effectiveRank, energy}]}
 */
import { particleStatistics } from '../engine/analysis/particles';
import { initBackend } from '../engine/backend';
import { TransformerModel } from '../engine/model/model';
import { backendOption, modelArgument, parse, tokenList } from './args';
import { printJson, UsageError } from './output';

export const DEFAULT_BETA = 1;
export const DEFAULT_DELTA = 0.1;

/** A finite number option (or the fallback when absent); anything else is a usage error naming the option. */
export function numberOption(value: string | boolean | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed)) throw new UsageError(`--${name} must be a number, got "${String(value)}"`);
  return parsed;
}

export async function particlesCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    prompt: { type: 'string' },
    tokens: { type: 'string' },
    beta: { type: 'string' },
    delta: { type: 'string' },
    backend: { type: 'string' },
  });
  const modelPath = modelArgument(positionals, 'particles');
  if ((values.prompt === undefined) === (values.tokens === undefined)) throw new UsageError('give exactly one of --prompt TEXT or --tokens 1,2,3');
  const tokensArg = typeof values.tokens === 'string' ? tokenList(values.tokens) : undefined;
  const beta = numberOption(values.beta, 'beta', DEFAULT_BETA);
  const delta = numberOption(values.delta, 'delta', DEFAULT_DELTA);
  const backend = backendOption(values.backend);

  await initBackend(backend);
  const model = await TransformerModel.load(modelPath);
  try {
    const tokens = tokensArg ?? model.tokenize(values.prompt as string).ids;
    const result = await particleStatistics(model, tokens, { beta, delta });
    printJson({
      tokens: result.tokens,
      tokenTexts: result.tokenTexts,
      beta: result.beta,
      delta: result.delta,
      dModel: result.dModel,
      explainedVariance: result.explainedVariance,
      layers: result.layers.map((l) => ({
        layer: l.layer,
        label: l.label,
        clusters: l.clusters,
        meanCosine: l.meanCosine,
        minCosine: l.minCosine,
        effectiveRank: l.effectiveRank,
        energy: l.energy,
      })),
    });
  } finally {
    await model.dispose();
  }
}

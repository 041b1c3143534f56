/**
 * The particle view (Geshkovski, Letrouit, Polyanskiy, Rigollet 2023, arXiv 2312.10794): a real
 * model's tokens as particles on the sphere layer by layer, a head as their interaction kernel,
 * and the paper's idealized dynamics simulated from random points or from the model's own.
 */
import type { SimulationParams } from '../../../protocol/particles';
import { EngineError } from '../../errors';
import type { TransformerModel } from '../../model/model';
import { headMatrices, particlesAt } from './headDynamics';
import type { StreamOptions } from './normalizedStream';

export { particleKernel, fitEffectiveBeta } from './kernel';
export { particleStatistics, DEFAULT_BINS } from './layerStats';
export { normalizedStream } from './normalizedStream';
export { phaseDiagram } from './phaseDiagram';
export { simulate } from './simulate';
export { headMatrices, particlesAt } from './headDynamics';

/** Where a simulation's Q/K/V and initial points come from, beyond its own parameters. */
export interface ModelSource {
  /** Use this head's processed W_Q, W_K, W_OV (d becomes d_model). */
  readonly head?: { readonly layer: number; readonly head: number };
  /** Start from the model's particles at this snapshot (0..L) on `tokens` (n and d follow from them). */
  readonly fromLayer?: number;
  readonly tokens?: readonly number[];
}

/**
 * The parameters a simulation actually runs with once a model supplies its head's matrices or its
 * particles: d = d_model with either, n = the number of tokens with `fromLayer`.
 */
export async function paramsFromModel(
  model: TransformerModel | undefined,
  params: SimulationParams,
  source: ModelSource,
  options: StreamOptions = {},
): Promise<SimulationParams> {
  if (source.head === undefined && source.fromLayer === undefined) return params;
  if (!model) throw new EngineError('BAD_ARGUMENT', 'no model is loaded: a head or a starting layer needs one');
  let result: SimulationParams = { ...params, d: model.spec.dModel };
  if (source.fromLayer !== undefined) {
    if (!source.tokens?.length) throw new EngineError('BAD_PROMPT', 'starting from the model\'s particles needs tokens');
    const points = await particlesAt(model, source.tokens, source.fromLayer, options);
    result = { ...result, n: source.tokens.length, init: 'given', initialPoints: points };
  }
  if (source.head !== undefined) {
    const { query, key, value } = await headMatrices(model, source.head.layer, source.head.head);
    result = { ...result, query, key, value };
  }
  return result;
}

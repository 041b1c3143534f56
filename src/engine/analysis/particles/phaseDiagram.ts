/**
 * The (t, β) phase diagram of the paper's Figure: for each β, the fraction of pairs of particles
 * with ⟨x_i, x_j⟩ > 1 − δ at each time, from the same initial points (same seed) for every β, so
 * rows differ only by β. A long job: reports progress and stops between steps when cancelled.
 */
import type { PhaseDiagram, SimulationParams } from '../../../protocol/particles';
import { EngineError } from '../../errors';
import { checkSimulationParams, MAX_WORK, simulate, simulationWork } from './simulate';

export const MAX_BETAS = 200;

export interface PhaseOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { message: string; fraction: number }) => void;
}

export async function phaseDiagram(params: SimulationParams, betas: readonly number[], options: PhaseOptions = {}): Promise<PhaseDiagram> {
  if (!Array.isArray(betas) || betas.length === 0 || betas.length > MAX_BETAS) {
    throw new EngineError('BAD_ARGUMENT', `the phase diagram needs 1 to ${MAX_BETAS} values of β, got ${Array.isArray(betas) ? betas.length : String(betas)}`);
  }
  const bad = betas.find((b) => typeof b !== 'number' || !Number.isFinite(b));
  if (bad !== undefined) throw new EngineError('BAD_ARGUMENT', `every β must be a finite number, got ${String(bad)}`);
  // Only the fractions are kept: one frame per run.
  const base: SimulationParams = { ...params, frames: 1 };
  checkSimulationParams({ ...base, beta: betas[0]! });
  const work = simulationWork(base) * betas.length;
  if (work > MAX_WORK) {
    throw new EngineError('BAD_ARGUMENT', `${betas.length} values of β × ${simulationWork(base).toExponential(1)} multiply-adds each is too much work (limit ${MAX_WORK.toExponential(0)}); use fewer β values, a smaller n or d, or fewer steps`);
  }
  let times: readonly number[] = [];
  const rows: number[][] = [];
  for (const [index, beta] of betas.entries()) {
    if (options.signal?.aborted) throw new EngineError('CANCELLED', 'the phase diagram was cancelled');
    const report = (fraction: number) =>
      options.onProgress?.({ message: `β = ${beta} (${index + 1} of ${betas.length})`, fraction: (index + fraction) / betas.length });
    report(0);
    const result = await simulate({ ...base, beta }, { signal: options.signal, onProgress: report });
    times = result.times;
    rows.push([...result.clusteredFraction]);
  }
  options.onProgress?.({ message: `${betas.length} values of β done`, fraction: 1 });
  const clusteredFraction = new Float32Array(betas.length * times.length);
  rows.forEach((row, index) => clusteredFraction.set(row, index * times.length));
  return { betas: [...betas], times: [...times], clusteredFraction };
}

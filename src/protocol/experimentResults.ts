/**
 * Engine results (typed arrays) as the plain JSON an experiment file stores in `results`. Shared by
 * the engine's experiment runner (CLI) and the extension host, which cannot import the engine.
 */
import type { AblationResult, PatchResult, TokenList } from './engine';
import type { ExperimentResults, JsonTokenList } from './experiment';

export function jsonTokenList(list: TokenList): JsonTokenList {
  return { ids: Array.from(list.ids), values: Array.from(list.values), ...(list.strings ? { strings: [...list.strings] } : {}) };
}

export function ablationResultsJson(tokens: readonly number[], result: AblationResult, ranAt = new Date()): ExperimentResults {
  return {
    kind: 'ablation',
    ranAt: ranAt.toISOString(),
    tokens: [...tokens],
    metricBefore: result.metricBefore,
    metricAfter: result.metricAfter,
    lossBefore: result.lossBefore,
    lossAfter: result.lossAfter,
    topBefore: jsonTokenList(result.topBefore),
    topAfter: jsonTokenList(result.topAfter),
  };
}

function grid(values: Float32Array, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from(values.subarray(r * cols, (r + 1) * cols)));
}

export function patchResultsJson(result: PatchResult, ranAt = new Date()): ExperimentResults {
  return {
    kind: 'patch',
    ranAt: ranAt.toISOString(),
    component: result.component,
    rows: result.rows,
    cols: result.cols,
    cleanMetric: result.cleanMetric,
    corruptedMetric: result.corruptedMetric,
    values: grid(result.values, result.rows, result.cols).map((row) => row.map((v) => (Number.isFinite(v) ? v : null))),
    raw: grid(result.raw, result.rows, result.cols),
    labels: { rows: [...result.labels.rows], cols: [...result.labels.cols] },
  };
}

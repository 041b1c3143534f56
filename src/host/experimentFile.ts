/**
 * Experiment files (`*.experiment.json`, src/protocol/experiment.ts) on the host side: building one
 * from a run, checking one read from disk, resolving its model path, turning engine results into
 * the file's plain-JSON `results`, and writing them back in place with 2-space formatting and every
 * other key kept where it was. Pure (no vscode), so it is unit-tested.
 */
import * as path from 'node:path';
import type { Experiment, ExperimentIntervention, ExperimentMetric, ExperimentResults } from '../protocol/experiment';
export { ablationResultsJson, jsonTokenList, patchResultsJson } from '../protocol/experimentResults';

export const EXPERIMENT_SUFFIX = '.experiment.json';

/** A run the user may save: everything an experiment file holds except the model path's form. */
export interface ExperimentDraft {
  readonly modelPath: string;
  readonly prompt: string | readonly number[];
  readonly corrupted?: string | readonly number[];
  readonly interventions?: readonly ExperimentIntervention[];
  readonly patch?: { readonly component: 'resid' | 'attn' | 'heads' };
  readonly metric: ExperimentMetric;
  readonly results: ExperimentResults;
}

/** `model` as written in a file at `experimentFile`: relative to its folder (forward slashes) unless on another drive. */
export function relativeModelPath(experimentFile: string, modelPath: string): string {
  const relative = path.relative(path.dirname(experimentFile), modelPath);
  if (relative === '' ) return '.';
  if (path.isAbsolute(relative)) return modelPath;
  return relative.split(path.sep).join('/');
}

/** The model path a file names, made absolute against the file's folder. */
export function resolveModelPath(experimentFile: string, model: string): string {
  return path.resolve(path.dirname(experimentFile), model);
}

/** The experiment to write at `experimentFile` for a draft (keys in the schema's order). */
export function buildExperiment(experimentFile: string, draft: ExperimentDraft): Experiment {
  return {
    version: 1,
    model: relativeModelPath(experimentFile, draft.modelPath),
    prompt: draft.prompt,
    ...(draft.corrupted !== undefined ? { corrupted: draft.corrupted } : {}),
    ...(draft.interventions ? { interventions: draft.interventions } : {}),
    ...(draft.patch ? { patch: draft.patch } : {}),
    metric: draft.metric,
    results: draft.results,
  };
}

/** "ioi" → "ioi.experiment.json"; a name already ending in .json or .experiment.json is kept. */
export function experimentFileName(name: string): string {
  const trimmed = name.trim().replace(/[\\/:*?"<>|]+/g, '-');
  if (trimmed.endsWith(EXPERIMENT_SUFFIX)) return trimmed;
  return `${trimmed.replace(/\.json$/, '')}${EXPERIMENT_SUFFIX}`;
}

/** The file's text: 2-space JSON and a final newline. */
export function experimentText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function isPrompt(value: unknown): value is string | number[] {
  return (typeof value === 'string' && value.length > 0) || (Array.isArray(value) && value.length > 0 && value.every((v) => Number.isInteger(v) && v >= 0));
}

function isToken(value: unknown): value is number | string {
  return (typeof value === 'string' && value.length > 0) || (Number.isInteger(value) && (value as number) >= 0);
}

/** Checks an experiment file's text; throws an Error with a one-line message naming what is wrong. */
export function parseExperimentText(text: string): Experiment {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`the file is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('the file must hold a JSON object');
  const e = json as Record<string, unknown>;
  if (e.version !== 1) throw new Error(`unsupported version ${JSON.stringify(e.version)} (expected 1)`);
  if (typeof e.model !== 'string' || e.model === '') throw new Error('"model" must be the path of a model');
  if (!isPrompt(e.prompt)) throw new Error('"prompt" must be text or a list of token ids');
  for (const key of ['corrupted', 'reference'] as const) if (e[key] !== undefined && !isPrompt(e[key])) throw new Error(`"${key}" must be text or a list of token ids`);
  if ((e.interventions === undefined) === (e.patch === undefined)) throw new Error('give exactly one of "interventions" (an ablation) or "patch" (a patching sweep)');
  if (e.interventions !== undefined) {
    if (!Array.isArray(e.interventions) || e.interventions.length === 0) throw new Error('"interventions" must be a non-empty list');
    for (const i of e.interventions as Record<string, unknown>[]) {
      const ok =
        typeof i === 'object' && i !== null && ['head', 'attn', 'mlp'].includes(i.kind as string) && Number.isInteger(i.layer) && (i.kind !== 'head' || Number.isInteger(i.head)) && ['zero', 'mean', 'resample'].includes(i.method as string);
      if (!ok) throw new Error(`bad intervention ${JSON.stringify(i)} (expected {kind: head|attn|mlp, layer, head?, method: zero|mean|resample})`);
    }
    if ((e.interventions as { method: string }[]).some((i) => i.method === 'resample') && e.corrupted === undefined) throw new Error('resample ablations need a "corrupted" prompt');
  }
  if (e.patch !== undefined) {
    const component = (e.patch as { component?: unknown } | null)?.component;
    if (component !== 'resid' && component !== 'attn' && component !== 'heads') throw new Error('"patch.component" must be resid, attn or heads');
    if (e.corrupted === undefined) throw new Error('a patching experiment needs a "corrupted" prompt');
  }
  const metric = e.metric as Record<string, unknown> | undefined;
  if (typeof metric !== 'object' || metric === null || !['loss', 'logit', 'logitDiff', 'prob'].includes(metric.kind as string)) throw new Error('"metric.kind" must be loss, logit, logitDiff or prob');
  if (metric.kind !== 'loss' && !isToken(metric.target)) throw new Error('"metric.target" must be a token id or text of one token');
  if (metric.kind === 'logitDiff' && !isToken(metric.distractor)) throw new Error('"metric.distractor" must be a token id or text of one token');
  return json as unknown as Experiment;
}

/** The file's text with `results` replaced (or added last); every other key keeps its place and value. */
export function withResults(text: string, results: ExperimentResults): string {
  const json = JSON.parse(text) as Record<string, unknown>;
  json.results = results;
  return experimentText(json);
}

/**
 * Running a saved experiment (src/protocol/experiment.ts) on a loaded model: validate the file's
 * JSON, tokenize its prompts and metric tokens, run the ablation or the patching sweep, and turn
 * the result into the plain JSON stored in the file's `results`.
 */
import type { Intervention, Metric } from '../../protocol/engine';
import type { Experiment, ExperimentMetric, ExperimentResults } from '../../protocol/experiment';
import { ablationResultsJson, patchResultsJson } from '../../protocol/experimentResults';

export { ablationResultsJson, jsonTokenList, patchResultsJson } from '../../protocol/experimentResults';
import { EngineError } from '../errors';
import type { TransformerModel } from '../model/model';
import { ablate } from './ablate';
import { patchSweep, type PatchOptions } from './patch';
import { singleToken } from './parse';

function bad(message: string): EngineError {
  return new EngineError('BAD_ARGUMENT', `experiment: ${message}`);
}

function isPrompt(value: unknown): boolean {
  return (typeof value === 'string' && value.length > 0) || (Array.isArray(value) && value.length > 0 && value.every((v) => Number.isInteger(v) && v >= 0));
}

/** Checks the shape of an experiment file's JSON (the schema's rules, with one-line messages). */
export function parseExperiment(json: unknown): Experiment {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('the file must hold a JSON object');
  const e = json as Record<string, unknown>;
  if (e.version !== 1) throw bad(`unsupported version ${JSON.stringify(e.version)} (expected 1)`);
  if (typeof e.model !== 'string' || e.model === '') throw bad('"model" must be the path of a model');
  if (!isPrompt(e.prompt)) throw bad('"prompt" must be text or a list of token ids');
  for (const key of ['corrupted', 'reference'] as const) {
    if (e[key] !== undefined && !isPrompt(e[key])) throw bad(`"${key}" must be text or a list of token ids`);
  }
  if ((e.interventions === undefined) === (e.patch === undefined)) throw bad('give exactly one of "interventions" (an ablation) or "patch" (a patching sweep)');
  if (e.interventions !== undefined && !Array.isArray(e.interventions)) throw bad('"interventions" must be a list');
  if (e.patch !== undefined) {
    const component = (e.patch as { component?: unknown } | null)?.component;
    if (component !== 'resid' && component !== 'attn' && component !== 'heads') throw bad('"patch.component" must be resid, attn or heads');
    if (e.corrupted === undefined) throw bad('a patching experiment needs a "corrupted" prompt');
  }
  const metric = e.metric as { kind?: unknown } | undefined;
  if (typeof metric !== 'object' || metric === null || !['loss', 'logit', 'logitDiff', 'prob'].includes(metric.kind as string)) {
    throw bad('"metric.kind" must be loss, logit, logitDiff or prob');
  }
  return json as Experiment;
}

function promptTokens(model: TransformerModel, prompt: string | readonly number[]): number[] {
  return typeof prompt === 'string' ? model.tokenize(prompt).ids : [...prompt];
}

/** The metric with its tokens resolved to ids (text must be exactly one token). */
export function resolveMetric(model: TransformerModel, metric: ExperimentMetric): Metric {
  switch (metric.kind) {
    case 'loss':
      return { kind: 'loss' };
    case 'logitDiff':
      return { kind: 'logitDiff', target: singleToken(model, metric.target, 'target'), distractor: singleToken(model, metric.distractor, 'distractor') };
    case 'logit':
    case 'prob':
      return { kind: metric.kind, target: singleToken(model, metric.target, 'target') };
  }
}

/** Runs an experiment on `model` (already loaded from the experiment's model path). */
export async function runExperiment(model: TransformerModel, experiment: Experiment, options: PatchOptions = {}): Promise<ExperimentResults> {
  const tokens = promptTokens(model, experiment.prompt);
  const corrupted = experiment.corrupted !== undefined ? promptTokens(model, experiment.corrupted) : undefined;
  const metric = resolveMetric(model, experiment.metric);
  if (experiment.patch) {
    return patchResultsJson(await patchSweep(model, { clean: tokens, corrupted: corrupted!, component: experiment.patch.component, metric }, options));
  }
  const reference = experiment.reference !== undefined ? promptTokens(model, experiment.reference) : undefined;
  const result = await ablate(model, { tokens, interventions: experiment.interventions as readonly Intervention[], metric, reference, corrupted }, options.signal);
  return ablationResultsJson(tokens, result);
}

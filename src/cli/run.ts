/**
 * `circuit-inspector run <model> (--prompt TEXT | --tokens 1,2,3) [--logits last|all] [--patterns]
 * [--ablate L.H[:zero|mean|resample]]… [--ablate-attn L[:method]]… [--ablate-mlp L[:method]]…
 * [--corrupted TEXT | --corrupted-tokens IDS] [--target TOKEN [--distractor TOKEN]] [--metric M]`:
 * one forward pass (under the ablations, if any), printed as JSON; with ablations or a target it
 * adds `ablations` and `metric` {kind, …, before, after}.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../engine/backend';
import { HOOK } from '../engine/model/hooks';
import { TransformerModel } from '../engine/model/model';
import { ablate, ablationHooks, parseIntervention } from '../engine/interventions';
import type { Intervention } from '../protocol/engine';
import { backendOption, modelArgument, parse, tokenList } from './args';
import { METRIC_OPTIONS, metricFromArgs } from './metricArgs';
import { printJson, UsageError } from './output';

export async function runCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    prompt: { type: 'string' },
    tokens: { type: 'string' },
    logits: { type: 'string' },
    patterns: { type: 'boolean' },
    backend: { type: 'string' },
    ablate: { type: 'string', multiple: true },
    'ablate-attn': { type: 'string', multiple: true },
    'ablate-mlp': { type: 'string', multiple: true },
    corrupted: { type: 'string' },
    'corrupted-tokens': { type: 'string' },
    ...METRIC_OPTIONS,
  });
  const list = (v: unknown) => (v as string[] | undefined) ?? [];
  const interventions: Intervention[] = [
    ...list(values.ablate).map((t) => parseIntervention(t, 'head')),
    ...list(values['ablate-attn']).map((t) => parseIntervention(t, 'attn')),
    ...list(values['ablate-mlp']).map((t) => parseIntervention(t, 'mlp')),
  ];
  if (values.corrupted !== undefined && values['corrupted-tokens'] !== undefined) throw new UsageError('give at most one of --corrupted TEXT or --corrupted-tokens 1,2,3');
  const modelPath = modelArgument(positionals, 'run');
  if ((values.prompt === undefined) === (values.tokens === undefined)) throw new UsageError('give exactly one of --prompt TEXT or --tokens 1,2,3');
  const logitsMode = values.logits ?? 'last';
  if (logitsMode !== 'last' && logitsMode !== 'all') throw new UsageError(`--logits must be "last" or "all", got "${String(logitsMode)}"`);
  const tokensArg = typeof values.tokens === 'string' ? tokenList(values.tokens) : undefined;

  await initBackend(backendOption(values.backend));
  const model = await TransformerModel.load(modelPath);
  try {
    const tokens = tokensArg ?? model.tokenize(values.prompt as string).ids;
    const spec = model.spec;
    const patternNames = values.patterns ? Array.from({ length: spec.nLayers }, (_, l) => HOOK.pattern(l)) : [];
    const measure = interventions.length > 0 || values.target !== undefined || values.metric !== undefined;
    const metric = measure ? metricFromArgs(model, values) : undefined;
    const corrupted =
      typeof values['corrupted-tokens'] === 'string' ? tokenList(values['corrupted-tokens']) : typeof values.corrupted === 'string' ? model.tokenize(values.corrupted).ids : undefined;
    const comparison = metric ? await ablate(model, { tokens, interventions, metric, corrupted }) : undefined;
    const ablation = interventions.length > 0 ? await ablationHooks(model, interventions, { tokens, corrupted }) : undefined;
    let result;
    try {
      result = await model.runWithCache(tokens, patternNames, { logits: logitsMode, hooks: ablation?.hooks });
    } finally {
      ablation?.dispose();
    }
    try {
      const logits = (await result.logits!.array())[0]!; // [pos or 1][vocab]
      const loss = result.loss ? (await tf.mean(result.loss).data())[0]! : null;
      const patterns = [];
      for (const name of patternNames) patterns.push((await result.cache.get(name)!.array() as number[][][][])[0]!); // [head][query][key]
      printJson({
        tokens,
        ...(model.tokenizer ? { tokenStrings: tokens.map((id) => model.tokenizer!.tokenString(id)) } : {}),
        logits: logitsMode === 'last' ? logits[logits.length - 1] : logits,
        loss,
        ...(values.patterns ? { patterns } : {}),
        ...(comparison && metric
          ? {
              ablations: interventions,
              metric: { ...metric, before: comparison.metricBefore, after: comparison.metricAfter },
              lossBefore: comparison.lossBefore,
            }
          : {}),
      });
    } finally {
      result.dispose();
    }
  } finally {
    await model.dispose();
  }
}

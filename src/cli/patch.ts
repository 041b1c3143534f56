/**
 * `circuit-inspector patch <model> --clean TEXT --corrupted TEXT [--target TOKEN [--distractor TOKEN]]
 * [--metric loss|logit|logitDiff|prob] --component heads|layers|resid`: an activation patching
 * sweep, printed as JSON (values: the normalized restored metric per [layer][position or head]).
 */
import { initBackend } from '../engine/backend';
import { patchResultsJson, patchSweep } from '../engine/interventions';
import { TransformerModel } from '../engine/model/model';
import type { PatchComponent } from '../protocol/engine';
import { backendOption, modelArgument, parse, positiveInt, tokenList } from './args';
import { METRIC_OPTIONS, metricFromArgs } from './metricArgs';
import { printJson, UsageError } from './output';

const COMPONENTS: Readonly<Record<string, PatchComponent>> = { resid: 'resid', layers: 'attn', attn: 'attn', heads: 'heads' };

export async function patchCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    clean: { type: 'string' },
    corrupted: { type: 'string' },
    'clean-tokens': { type: 'string' },
    'corrupted-tokens': { type: 'string' },
    component: { type: 'string' },
    'max-batch': { type: 'string' },
    backend: { type: 'string' },
    ...METRIC_OPTIONS,
  });
  const modelPath = modelArgument(positionals, 'patch');
  for (const which of ['clean', 'corrupted'] as const) {
    if ((values[which] === undefined) === (values[`${which}-tokens`] === undefined)) {
      throw new UsageError(`give exactly one of --${which} TEXT or --${which}-tokens 1,2,3`);
    }
  }
  const component = COMPONENTS[String(values.component)];
  if (!component) throw new UsageError(`--component must be heads, layers or resid, got "${String(values.component)}"`);
  const maxBatch = values['max-batch'] === undefined ? undefined : positiveInt(values['max-batch'], 'max-batch', 1);
  const cleanIds = typeof values['clean-tokens'] === 'string' ? tokenList(values['clean-tokens']) : undefined;
  const corruptedIds = typeof values['corrupted-tokens'] === 'string' ? tokenList(values['corrupted-tokens']) : undefined;

  await initBackend(backendOption(values.backend));
  const model = await TransformerModel.load(modelPath);
  try {
    const clean = cleanIds ?? model.tokenize(values.clean as string).ids;
    const corrupted = corruptedIds ?? model.tokenize(values.corrupted as string).ids;
    const metric = metricFromArgs(model, values);
    const started = performance.now();
    const result = await patchSweep(model, { clean, corrupted, component, metric }, { maxBatch });
    const seconds = (performance.now() - started) / 1000;
    const { ranAt: _ranAt, ...json } = patchResultsJson(result) as Extract<ReturnType<typeof patchResultsJson>, { kind: 'patch' }>;
    printJson({ ...json, metric, clean, corrupted, seconds });
  } finally {
    await model.dispose();
  }
}

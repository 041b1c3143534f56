/**
 * `circuit-inspector heads <model> [--prompt TEXT | --tokens IDS] [--random-length N --batch B --seed S]`:
 * detector, sink and copying scores of every head, as JSON `{source, heads: [{layer, head, …}]}`.
 * Scores are measured on the prompt when one is given, otherwise on repeated random tokens
 * (defaults: 50 random tokens repeated, shortened to fit the context, 4 sequences, seed 0).
 */
import { headScores } from '../engine/analysis/detectors';
import { defaultRandomRepeats } from '../engine/analysis/randomRepeats';
import { initBackend } from '../engine/backend';
import { TransformerModel } from '../engine/model/model';
import { backendOption, modelArgument, parse, positiveInt, tokenList } from './args';
import { printJson, UsageError } from './output';

/** A non-negative integer option (seeds may be 0). */
function nonNegativeInt(value: string | boolean | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed > 0xffffffff) {
    throw new UsageError(`--${name} must be an integer from 0 to 4294967295, got "${String(value)}"`);
  }
  return parsed;
}

export async function headsCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    prompt: { type: 'string' },
    tokens: { type: 'string' },
    'random-length': { type: 'string' },
    batch: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
  });
  const modelPath = modelArgument(positionals, 'heads');
  if (values.prompt !== undefined && values.tokens !== undefined) throw new UsageError('give at most one of --prompt TEXT or --tokens 1,2,3');
  const onPrompt = values.prompt !== undefined || values.tokens !== undefined;
  const randomOptions = (['random-length', 'batch', 'seed'] as const).filter((name) => values[name] !== undefined);
  if (onPrompt && randomOptions.length > 0) {
    throw new UsageError(`--${randomOptions[0]} sets up repeated random tokens and cannot be combined with --prompt or --tokens`);
  }
  const tokensArg = typeof values.tokens === 'string' ? tokenList(values.tokens) : undefined;
  const length = values['random-length'] === undefined ? undefined : positiveInt(values['random-length'], 'random-length', 0);
  const batch = values.batch === undefined ? undefined : positiveInt(values.batch, 'batch', 0);
  const seed = nonNegativeInt(values.seed, 'seed');

  await initBackend(backendOption(values.backend));
  const model = await TransformerModel.load(modelPath);
  try {
    const defaults = defaultRandomRepeats(model.spec);
    const tokens = tokensArg ?? (values.prompt !== undefined ? model.tokenize(values.prompt as string).ids : undefined);
    const scores = await headScores(
      model,
      tokens ? { tokens } : { random: { length: length ?? defaults.length, batch: batch ?? defaults.batch, seed: seed ?? defaults.seed } },
    );
    const heads = [];
    for (let layer = 0; layer < scores.layers; layer++) {
      for (let head = 0; head < scores.heads; head++) {
        const i = layer * scores.heads + head;
        heads.push({
          layer,
          head,
          previousToken: scores.previousToken[i],
          duplicateToken: scores.duplicateToken[i],
          induction: scores.induction[i],
          sink: scores.sink[i],
          copyingOV: scores.copyingOV[i],
          copyingQK: scores.copyingQK[i],
        });
      }
    }
    printJson({ source: scores.source, heads });
  } finally {
    await model.dispose();
  }
}

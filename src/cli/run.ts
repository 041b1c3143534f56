/**
 * `circuit-inspector run <model> (--prompt TEXT | --tokens 1,2,3) [--logits last|all] [--patterns]`:
 * one forward pass, printed as JSON.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../engine/backend';
import { HOOK } from '../engine/model/hooks';
import { TransformerModel } from '../engine/model/model';
import { backendOption, modelArgument, parse, tokenList } from './args';
import { printJson, UsageError } from './output';

export async function runCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    prompt: { type: 'string' },
    tokens: { type: 'string' },
    logits: { type: 'string' },
    patterns: { type: 'boolean' },
    backend: { type: 'string' },
  });
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
    const result = await model.runWithCache(tokens, patternNames, { logits: logitsMode });
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
      });
    } finally {
      result.dispose();
    }
  } finally {
    await model.dispose();
  }
}

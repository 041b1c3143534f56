/**
 * `circuit-inspector experiment <file.json> [--backend B] [--dry-run]`: runs a saved experiment
 * (src/protocol/experiment.ts), writes its `results` back into the file (other fields untouched,
 * 2-space JSON) and prints the results as JSON. --dry-run prints without writing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { initBackend } from '../engine/backend';
import { EngineError } from '../engine/errors';
import { parseExperiment, runExperiment } from '../engine/interventions';
import { TransformerModel } from '../engine/model/model';
import { backendOption, parse } from './args';
import { printJson, UsageError } from './output';

export async function experimentCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { backend: { type: 'string' }, 'dry-run': { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError(`usage: circuit-inspector experiment <file.json> (expected one file, got ${positionals.length})`);
  const file = path.resolve(positionals[0]!);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new EngineError('FILE_NOT_FOUND', `cannot read experiment file ${file}`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EngineError('BAD_ARGUMENT', `${path.basename(file)} is not valid JSON: ${(error as Error).message}`, file);
  }
  const experiment = parseExperiment(json);

  await initBackend(backendOption(values.backend));
  const model = await TransformerModel.load(path.resolve(path.dirname(file), experiment.model));
  try {
    const results = await runExperiment(model, experiment);
    if (!values['dry-run']) {
      const indent = /^\{\s*\n(\s+)"/.exec(text)?.[1] ?? '  ';
      await writeFile(file, `${JSON.stringify({ ...(json as object), results }, null, indent)}\n`);
    }
    printJson(results);
  } finally {
    await model.dispose();
  }
}

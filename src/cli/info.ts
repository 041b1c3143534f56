/** `circuit-inspector info <model>`: the model card as JSON. */
import { initBackend } from '../engine/backend';
import { TransformerModel } from '../engine/model/model';
import { backendOption, modelArgument, parse } from './args';
import { printJson } from './output';

export async function infoCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { backend: { type: 'string' } });
  const modelPath = modelArgument(positionals, 'info');
  await initBackend(backendOption(values.backend));
  const model = await TransformerModel.load(modelPath);
  try {
    printJson(model.info());
  } finally {
    await model.dispose();
  }
}

/** The registry of supported families, by config.json `model_type`. */
import { EngineError } from '../../errors';
import type { HfConfig } from '../config';
import { gpt2 } from './gpt2';
import { gptNeo } from './gptNeo';
import { gptNeox } from './gptNeox';
import { llama } from './llama';
import type { ArchitectureModule } from './types';

const MODULES: readonly ArchitectureModule[] = [gpt2, gptNeo, gptNeox, llama];

export const SUPPORTED_MODEL_TYPES: readonly string[] = MODULES.flatMap((m) => m.modelTypes);

export function architectureFor(config: HfConfig): ArchitectureModule {
  const modelType = config.raw['model_type'];
  if (typeof modelType !== 'string') {
    throw new EngineError('BAD_CONFIG', `${config.file}: missing "model_type"`, config.file);
  }
  const found = MODULES.find((m) => m.modelTypes.includes(modelType));
  if (!found) {
    throw new EngineError(
      'UNSUPPORTED_ARCHITECTURE',
      `${config.file}: model_type "${modelType}" is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`,
      config.file,
    );
  }
  return found;
}

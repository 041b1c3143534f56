/** Maps Hugging Face activation names onto the ones the forward pass implements. */
import { EngineError } from '../../errors';
import type { HfConfig } from '../config';
import type { Activation } from '../spec';

const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  gelu_fast: 'gelu_new',
  gelu: 'gelu',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

export function activationFromConfig(config: HfConfig, name: string): Activation {
  const activation = ACTIVATIONS[name];
  if (!activation) {
    throw new EngineError(
      'UNSUPPORTED_ARCHITECTURE',
      `${config.file}: activation "${name}" is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`,
      config.file,
    );
  }
  return activation;
}

/** What each supported model family provides: config.json → spec, checkpoint → weights. */
import type { CheckpointReader } from '../checkpointReader';
import type { HfConfig } from '../config';
import type { ModelSpec } from '../spec';
import type { HostWeights } from '../weights';

export interface ArchitectureModule {
  /** Values of config.json's `model_type` this module runs. */
  readonly modelTypes: readonly string[];
  /** Prefix of the base model's tensor names in Hugging Face checkpoints (e.g. `transformer.`). */
  readonly basePrefix: string;
  /** Maps the family's config onto the shared spec. Throws BAD_CONFIG for missing/invalid keys. */
  spec(config: HfConfig): ModelSpec;
  /** Reads and rearranges every weight into the forward pass's layout. */
  readWeights(reader: CheckpointReader, spec: ModelSpec): Promise<HostWeights>;
}

/** The outer shell every family shares: embeddings, a stack of blocks, final norm, unembedding. */
import type { CheckpointReader } from '../checkpointReader';
import type { ModelSpec } from '../spec';
import { transposeHost, type BlockWeights, type HostTensor, type HostWeights } from '../weights';

export interface OuterTensorNames {
  /** Token embedding, inside the base model. */
  readonly embed: string;
  /** Learned positions, inside the base model (absent for rotary families). */
  readonly positions?: string;
  /** Final norm scale and (LayerNorm) shift, inside the base model. */
  readonly finalNorm: { readonly w: string; readonly b?: string };
  /** Untied unembedding [vocab, d_model], a top-level name (outside the base model). */
  readonly unembed: string;
}

export async function readModelWeights(
  reader: CheckpointReader,
  s: ModelSpec,
  names: OuterTensorNames,
  readBlock: (layer: number) => Promise<BlockWeights<HostTensor>>,
): Promise<HostWeights> {
  const wE = await reader.read(names.embed, [s.dVocab, s.dModel]); // [vocab, d_model]
  const wPos = names.positions ? await reader.read(names.positions, [s.nCtx, s.dModel]) : undefined; // [n_ctx, d_model]
  const blocks: BlockWeights<HostTensor>[] = [];
  for (let layer = 0; layer < s.nLayers; layer++) blocks.push(await readBlock(layer));
  const lnFinal = {
    w: await reader.read(names.finalNorm.w, [s.dModel]),
    b: names.finalNorm.b ? await reader.read(names.finalNorm.b, [s.dModel]) : undefined,
  };
  // A tied unembedding is the embedding itself (tied checkpoints may omit the head or store a copy).
  const unembed = s.tiedEmbeddings ? wE : await reader.readTopLevel(names.unembed, [s.dVocab, s.dModel]);
  return { wE, wPos, blocks, lnFinal, wU: transposeHost(unembed) }; // wU: [d_model, vocab]
}

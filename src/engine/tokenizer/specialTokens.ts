/** Which tokens are the model's BOS and EOS. */

import { isObject, ofType, type Json } from './json';

/** The string of a token setting in tokenizer_config.json: `"<s>"` or `{"content": "<s>", ...}`. */
export function configToken(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

/**
 * BOS and EOS ids. tokenizer_config.json decides when it names them (even as null: no such
 * token); otherwise the BOS is the token the post-processor puts first, and failing that each is
 * the first added token with a usual name.
 */
export function bosAndEos(
  json: Json,
  config: Json | undefined,
  vocabId: (token: string) => number | undefined,
  addedId: (content: string) => number | undefined,
): { bos: number | undefined; eos: number | undefined } {
  const named = (key: string): number | undefined => {
    const token = configToken(config?.[key]);
    return token === undefined ? undefined : vocabId(token);
  };
  const firstAdded = (candidates: string[]): number | undefined =>
    candidates.map(addedId).find((id) => id !== undefined);
  return {
    bos:
      config !== undefined && 'bos_token' in config
        ? named('bos_token')
        : (templateBos(json, vocabId) ?? firstAdded(['<|begin_of_text|>', '<s>', '<bos>', '<|startoftext|>'])),
    eos:
      config !== undefined && 'eos_token' in config
        ? named('eos_token')
        : firstAdded(['<|end_of_text|>', '</s>', '<eos>', '<|endoftext|>']),
  };
}

/** The special token a TemplateProcessing post-processor puts before the text, if any. */
function templateBos(json: Json, vocabId: (token: string) => number | undefined): number | undefined {
  for (const processor of ofType(json.post_processor, 'TemplateProcessing')) {
    const single = processor.single;
    if (!Array.isArray(single) || !isObject(single[0]) || !isObject(single[0].SpecialToken)) continue;
    const name = single[0].SpecialToken.id;
    if (typeof name !== 'string') continue;
    const special = isObject(processor.special_tokens) ? processor.special_tokens[name] : undefined;
    const ids = isObject(special) && Array.isArray(special.ids) ? special.ids : [];
    return typeof ids[0] === 'number' ? ids[0] : vocabId(name);
  }
  return undefined;
}

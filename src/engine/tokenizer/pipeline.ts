/**
 * What the offsets need to know of a tokenizer.json pipeline: how token strings spell the text,
 * what the normalizer does to it, where a prefix space is added, and how offsets are trimmed.
 */

import type { TrimRule } from './byteLevel';
import { components, isObject, type Json } from './json';
import { normalizationSteps, type NormStep } from './normalize';
import type { OffsetStrategy } from './types';

/** Where the tokenizer puts a space in front of a section of text. */
export type PrefixRule = 'none' | 'always' | 'unless-space' | 'first-unless-space';

export interface Pipeline {
  strategy: OffsetStrategy;
  /** The normalizer, as far as it is modelled. */
  steps: NormStep[];
  prefix: PrefixRule;
  /** The character that stands for a space in token strings (`▁`); metaspace strategy only. */
  spaceChar: string | undefined;
  /** `<0xNN>` tokens are bytes. */
  byteFallback: boolean;
  unkToken: string | undefined;
  /** Decorations of generic tokens: WordPiece `##`, BPE end-of-word suffix. */
  continuingPrefix: string | undefined;
  wordSuffix: string | undefined;
  trims: TrimRule[];
}

export function readPipeline(json: Json): Pipeline {
  const model = isObject(json.model) ? json.model : {};
  const normalizers = components(json.normalizer);
  const preTokenizers = components(json.pre_tokenizer);
  const decoders = components(json.decoder);

  const metaspace = [...preTokenizers, ...decoders].filter((c) => c.type === 'Metaspace');
  const replacement =
    metaspace.map((c) => c.replacement).find((r): r is string => typeof r === 'string' && r.length > 0) ?? '▁';
  const byteLevel = preTokenizers.some((c) => c.type === 'ByteLevel') || decoders.some((c) => c.type === 'ByteLevel');
  const byteFallback = model.byte_fallback === true || decoders.some((c) => c.type === 'ByteFallback');
  // Llama 2's tokenizer.json has no Metaspace: a Replace normalizer writes `▁` for spaces, and a
  // Replace decoder turns it back.
  const replacesSpaces =
    normalizers.some((c) => c.type === 'Replace' && c.content === replacement) ||
    decoders.some((c) => c.type === 'Replace' && isObject(c.pattern) && c.pattern.String === replacement);
  const strategy: OffsetStrategy = byteLevel
    ? 'byte-level'
    : metaspace.length > 0 || byteFallback || replacesSpaces
      ? 'metaspace'
      : 'generic';

  return {
    strategy,
    steps: normalizationSteps(normalizers),
    prefix: prefixRule(normalizers, preTokenizers),
    spaceChar: strategy === 'metaspace' ? replacement : undefined,
    byteFallback,
    unkToken: unkToken(model),
    continuingPrefix:
      model.type === 'WordPiece'
        ? typeof model.continuing_subword_prefix === 'string'
          ? model.continuing_subword_prefix
          : '##'
        : undefined,
    wordSuffix: typeof model.end_of_word_suffix === 'string' && model.end_of_word_suffix ? model.end_of_word_suffix : undefined,
    trims: trimRules(json.post_processor),
  };
}

/** A Prepend normalizer, else the Metaspace or ByteLevel pre-tokenizer's setting. */
function prefixRule(normalizers: readonly Json[], preTokenizers: readonly Json[]): PrefixRule {
  // The last Prepend of the normalizer is the one that counts.
  const prepend = normalizers.filter((c) => c.type === 'Prepend').at(-1);
  if (typeof prepend?.prepend === 'string' && prepend.prepend.length > 0) return 'always';
  const metaspace = preTokenizers.find((c) => c.type === 'Metaspace');
  if (metaspace !== undefined) {
    // Old files say `add_prefix_space`, newer ones `prepend_scheme`.
    const scheme = metaspace.prepend_scheme ?? (metaspace.add_prefix_space === false ? 'never' : 'always');
    return scheme === 'first' ? 'first-unless-space' : scheme === 'never' ? 'none' : 'unless-space';
  }
  const byteLevel = preTokenizers.find((c) => c.type === 'ByteLevel');
  return byteLevel?.add_prefix_space === true ? 'unless-space' : 'none';
}

/** The post-processors that trim offsets: ByteLevel when asked to, RobertaProcessing unless told not to. */
function trimRules(postProcessor: unknown): TrimRule[] {
  return components(postProcessor)
    .filter(
      (c) =>
        (c.type === 'ByteLevel' && c.trim_offsets === true) || (c.type === 'RobertaProcessing' && c.trim_offsets !== false),
    )
    .map((c) => ({ addPrefixSpace: c.add_prefix_space !== false }));
}

/** BPE and WordPiece name the unknown token; Unigram gives its index in the vocabulary. */
function unkToken(model: Json): string | undefined {
  let unk = model.unk_token;
  if (typeof model.unk_id === 'number' && Array.isArray(model.vocab)) {
    const entry: unknown = model.vocab[model.unk_id];
    if (Array.isArray(entry)) unk = entry[0];
  }
  return typeof unk === 'string' ? unk : undefined;
}

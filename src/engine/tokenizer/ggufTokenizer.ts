/**
 * The tokenizer a GGUF file describes in its `tokenizer.ggml.*` metadata, built as the
 * tokenizer.json Hugging Face transformers builds from the same metadata (its GGUF tokenizer
 * converter), then loaded like any tokenizer.json through `@huggingface/tokenizers`, so ids,
 * decoding and exact offsets all come from the existing pipeline.
 *
 * - `gpt2` (byte-level BPE): vocabulary and merges as stored; the pre-tokenizer split is chosen by
 *   `tokenizer.ggml.pre` (GPT-2's for `gpt-2`/`default` and any name not listed, as transformers
 *   does; the Llama 3 and Qwen2 splits for those families).
 * - `llama` (SentencePiece BPE with scores): a BPE model with byte fallback whose merges are
 *   recovered from the scores — every split of a token into two vocabulary tokens, best merged
 *   score first (transformers' `generate_merges`). Text gets a `▁` prefix and spaces become `▁`
 *   (Metaspace, `prepend_scheme: first` unless `tokenizer.ggml.add_space_prefix` is false). This is
 *   the representation transformers uses for Llama; it can differ from sentencepiece itself on runs
 *   of spaces (sentencepiece merges a leading `▁` into the run, Metaspace does not split there).
 *   A Unigram vocabulary would need sentencepiece's lattice and is not built.
 * Control tokens (token_type 3) and the BOS/EOS/UNK/PAD ids become special added tokens,
 * user-defined ones (token_type 4) plain added tokens; BOS/EOS are added to encodings when
 * `tokenizer.ggml.add_bos_token` / `add_eos_token` say so (BOS by default for `llama`, as llama.cpp).
 */
import * as path from 'node:path';
import { EngineError } from '../errors';
import {
  metadataBoolean,
  metadataNumber,
  metadataNumberArray,
  metadataString,
  metadataStringArray,
  type GgufFile,
} from '../formats/gguf';
import type { Json } from './json';
import { ModelTokenizer } from './modelTokenizer';

type GgufHeader = Pick<GgufFile, 'path' | 'metadata'>;

/** llama.cpp's token types (tokenizer.ggml.token_type). */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

const LLAMA3_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** `tokenizer.ggml.pre` values whose split is not GPT-2's (names as llama.cpp writes them). */
const PRE_TOKENIZER_SPLITS: Readonly<Record<string, string>> = {
  'llama3': LLAMA3_SPLIT,
  'llama-v3': LLAMA3_SPLIT,
  'llama-bpe': LLAMA3_SPLIT,
  'smaug-bpe': LLAMA3_SPLIT,
  'dbrx': LLAMA3_SPLIT,
  'qwen2': QWEN2_SPLIT,
  'deepseek-r1-qwen': QWEN2_SPLIT,
};

/** GPT-2's bytes → printable characters table (Hugging Face `bytes_to_unicode`). */
function byteAlphabet(): Set<string> {
  const chars = new Set<string>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars.add(String.fromCodePoint(printable ? b : 256 + extra++));
  }
  return chars;
}

function byteSpelling(): string[] {
  const spelling: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    spelling.push(String.fromCodePoint(printable ? b : 256 + extra++));
  }
  return spelling;
}

function bad(gguf: GgufHeader, message: string): EngineError {
  return new EngineError('BAD_TOKENIZER', `${path.basename(gguf.path)}: ${message}`, gguf.path);
}

/** What the builders read of the metadata. */
interface Vocabulary {
  readonly tokens: readonly string[];
  readonly types: readonly number[] | undefined;
  readonly bos: number | undefined;
  readonly eos: number | undefined;
  readonly unk: number | undefined;
  readonly pad: number | undefined;
}

function readVocabulary(gguf: GgufHeader): Vocabulary {
  const tokens = metadataStringArray(gguf, 'tokenizer.ggml.tokens');
  if (!tokens) throw bad(gguf, 'tokenizer.ggml.model is set but tokenizer.ggml.tokens is missing');
  const types = metadataNumberArray(gguf, 'tokenizer.ggml.token_type');
  if (types && types.length !== tokens.length) {
    throw bad(gguf, `tokenizer.ggml.token_type has ${types.length} entries for ${tokens.length} tokens`);
  }
  const id = (key: string) => {
    const value = metadataNumber(gguf, `tokenizer.ggml.${key}`);
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || value < 0 || value >= tokens.length) {
      throw bad(gguf, `tokenizer.ggml.${key} is ${value}, not an id of the ${tokens.length} tokens`);
    }
    return value;
  };
  return { tokens, types, bos: id('bos_token_id'), eos: id('eos_token_id'), unk: id('unknown_token_id'), pad: id('padding_token_id') };
}

/**
 * The tokenizer of a GGUF file, or undefined when its metadata has none. Throws BAD_TOKENIZER for
 * metadata that cannot describe one.
 */
export function ggufTokenizer(gguf: GgufHeader): ModelTokenizer | undefined {
  const model = metadataString(gguf, 'tokenizer.ggml.model');
  // llama.cpp writes "none" / "no_vocab" for files deliberately converted without a vocabulary.
  if (model === undefined || model === 'none' || model === 'no_vocab') return undefined;
  const json = ggufTokenizerJson(gguf);
  const vocab = readVocabulary(gguf);
  const config: Json = {};
  if (vocab.bos !== undefined) config.bos_token = vocab.tokens[vocab.bos]!;
  if (vocab.eos !== undefined) config.eos_token = vocab.tokens[vocab.eos]!;
  return ModelTokenizer.fromJson(json, config, `${gguf.path} (tokenizer metadata)`);
}

/** The tokenizer.json equivalent of a GGUF file's tokenizer metadata. */
export function ggufTokenizerJson(gguf: GgufHeader): Json {
  const model = metadataString(gguf, 'tokenizer.ggml.model');
  const vocab = readVocabulary(gguf);
  const addBos = metadataBoolean(gguf, 'tokenizer.ggml.add_bos_token') ?? model === 'llama';
  const addEos = metadataBoolean(gguf, 'tokenizer.ggml.add_eos_token') ?? false;
  let json: Json;
  switch (model) {
    case 'gpt2':
      json = byteLevelJson(gguf, vocab);
      break;
    case 'llama':
      json = sentencePieceJson(gguf, vocab);
      break;
    default:
      throw bad(gguf, `tokenizer model "${String(model)}" is not supported (supported: gpt2, llama)`);
  }
  const processor = templateProcessor(vocab, addBos, addEos);
  if (processor) json.post_processor = processor;
  return json;
}

/** Added tokens: control and the named specials as special, user-defined as plain. */
function addedTokens(vocab: Vocabulary, include: (token: string) => boolean): Json[] {
  const named = new Set([vocab.bos, vocab.eos, vocab.unk, vocab.pad].filter((id): id is number => id !== undefined));
  const added: Json[] = [];
  vocab.tokens.forEach((content, id) => {
    const type = vocab.types?.[id];
    const special = type === TOKEN_TYPE.control || named.has(id);
    if (!(special || type === TOKEN_TYPE.userDefined) || !include(content)) return;
    added.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special });
  });
  return added;
}

function byteLevelJson(gguf: GgufHeader, vocab: Vocabulary): Json {
  const merges = metadataStringArray(gguf, 'tokenizer.ggml.merges');
  if (!merges) throw bad(gguf, 'a gpt2 (byte-level BPE) tokenizer needs tokenizer.ggml.merges');
  // Tokens spelled outside the byte alphabet are respelled in it, as transformers does.
  const alphabet = byteAlphabet();
  const spelling = byteSpelling();
  const inAlphabet = (token: string) => [...token].every((c) => alphabet.has(c));
  const respell = (token: string) => (inAlphabet(token) ? token : [...new TextEncoder().encode(token)].map((b) => spelling[b]).join(''));
  // No prototype: a vocabulary may hold tokens such as "__proto__".
  const ids = Object.create(null) as Record<string, number>;
  vocab.tokens.forEach((token, id) => (ids[respell(token)] = id));
  const pairs = merges.map((merge, index) => {
    const space = merge.indexOf(' ');
    if (space <= 0) throw bad(gguf, `tokenizer.ggml.merges[${index}] is not two tokens separated by a space: ${JSON.stringify(merge)}`);
    return [merge.slice(0, space), merge.slice(space + 1)];
  });
  const pre = metadataString(gguf, 'tokenizer.ggml.pre');
  const split = pre === undefined ? undefined : PRE_TOKENIZER_SPLITS[pre];
  const byteLevel = (useRegex: boolean): Json => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    // Control tokens outside the byte alphabet are llama.cpp mislabels transformers skips.
    added_tokens: addedTokens(vocab, (token) => inAlphabet(token) && token in ids),
    normalizer: null,
    pre_tokenizer: split
      ? { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: split }, behavior: 'Isolated', invert: false }, byteLevel(false)] }
      : byteLevel(true),
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: ids,
      merges: pairs,
    },
  };
}

function sentencePieceJson(gguf: GgufHeader, vocab: Vocabulary): Json {
  const scores = metadataNumberArray(gguf, 'tokenizer.ggml.scores');
  const stored = metadataStringArray(gguf, 'tokenizer.ggml.merges');
  if (!scores && !stored) throw bad(gguf, 'a llama (SentencePiece) tokenizer needs tokenizer.ggml.scores');
  if (scores && scores.length !== vocab.tokens.length) {
    throw bad(gguf, `tokenizer.ggml.scores has ${scores.length} entries for ${vocab.tokens.length} tokens`);
  }
  // No prototype: a vocabulary may hold tokens such as "__proto__".
  const ids = Object.create(null) as Record<string, number>;
  vocab.tokens.forEach((token, id) => (ids[token] = id));
  const merges = stored ? stored.map((m) => [m.slice(0, m.indexOf(' ')), m.slice(m.indexOf(' ') + 1)]) : mergesFromScores(vocab.tokens, scores!);
  const unkId = vocab.unk ?? vocab.types?.indexOf(TOKEN_TYPE.unknown);
  const prefix = metadataBoolean(gguf, 'tokenizer.ggml.add_space_prefix') ?? true;
  const decoders: Json[] = [
    { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
    { type: 'ByteFallback' },
    { type: 'Fuse' },
  ];
  if (prefix) decoders.push({ type: 'Strip', content: ' ', start: 1, stop: 0 });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(vocab, () => true),
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: prefix ? 'first' : 'never', split: false },
    post_processor: null,
    decoder: { type: 'Sequence', decoders },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unkId !== undefined && unkId >= 0 ? vocab.tokens[unkId]! : null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: ids,
      merges,
    },
  };
}

/**
 * SentencePiece BPE merges recovered from the vocabulary and its scores, as transformers'
 * `generate_merges`: every split of a token into two vocabulary tokens (lower ids first), then
 * all of them by the merged token's score, best first, longer left and right parts first on a
 * tie (a stable sort, so remaining ties keep vocabulary order). Lengths count code points.
 */
export function mergesFromScores(tokens: readonly string[], scores: readonly number[]): [string, string][] {
  const ids = new Map<string, number>();
  tokens.forEach((token, id) => ids.set(token, id));
  const scoreOf = new Map<string, number>();
  tokens.forEach((token, id) => scoreOf.set(token, scores[id]!));
  const merges: { left: string; right: string; score: number; leftLength: number; rightLength: number }[] = [];
  // dict(zip(tokens, scores)) keeps the first position of a repeated token and its last score.
  for (const [token, score] of scoreOf) {
    const chars = [...token];
    const local: { left: string; right: string; leftId: number; rightId: number; leftLength: number }[] = [];
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join('');
      const right = chars.slice(i).join('');
      const leftId = ids.get(left);
      const rightId = ids.get(right);
      if (leftId !== undefined && rightId !== undefined) local.push({ left, right, leftId, rightId, leftLength: i });
    }
    local.sort((a, b) => a.leftId - b.leftId || a.rightId - b.rightId);
    for (const m of local) merges.push({ left: m.left, right: m.right, score, leftLength: m.leftLength, rightLength: chars.length - m.leftLength });
  }
  merges.sort((a, b) => b.score - a.score || b.leftLength - a.leftLength || b.rightLength - a.rightLength);
  return merges.map((m) => [m.left, m.right]);
}

/** A TemplateProcessing that adds BOS and/or EOS, or undefined when neither is added. */
function templateProcessor(vocab: Vocabulary, addBos: boolean, addEos: boolean): Json | undefined {
  const bos = addBos && vocab.bos !== undefined ? vocab.tokens[vocab.bos]! : undefined;
  const eos = addEos && vocab.eos !== undefined ? vocab.tokens[vocab.eos]! : undefined;
  if (bos === undefined && eos === undefined) return undefined;
  const special = (token: string | undefined, typeId: number): Json[] => (token === undefined ? [] : [{ SpecialToken: { id: token, type_id: typeId } }]);
  const sequence = (id: string, typeId: number): Json => ({ Sequence: { id, type_id: typeId } });
  const specialTokens: Json = {};
  if (bos !== undefined) specialTokens[bos] = { id: bos, ids: [vocab.bos!], tokens: [bos] };
  if (eos !== undefined) specialTokens[eos] = { id: eos, ids: [vocab.eos!], tokens: [eos] };
  return {
    type: 'TemplateProcessing',
    single: [...special(bos, 0), sequence('A', 0), ...special(eos, 0)],
    pair: [...special(bos, 0), sequence('A', 0), ...special(eos, 0), ...special(bos, 1), sequence('B', 1), ...special(eos, 1)],
    special_tokens: specialTokens,
  };
}

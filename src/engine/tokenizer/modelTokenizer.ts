/** The model's tokenizer: `@huggingface/tokenizers` for ids and tokens, this folder for offsets. */

import { EngineError } from '../errors';
import { AddedTokenSplitter, readAddedTokens, type AddedToken } from './addedTokens';
import { displayToken } from './display';
import { isObject, type Json } from './json';
import { errorMessage, libraryTokenizer, readTokenizerFiles, type HfTokenizer } from './load';
import { OffsetFinder } from './offsets';
import { readPipeline, type Pipeline } from './pipeline';
import { bosAndEos } from './specialTokens';
import type { DecodeOptions, EncodeOptions, OffsetStrategy, TokenizedText } from './types';

/** A model's tokenizer, loaded from its tokenizer.json. */
export class ModelTokenizer {
  /** Number of ids: one more than the largest id of the vocabulary and added tokens. */
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  /** How offsets are computed for this tokenizer. */
  readonly offsetStrategy: OffsetStrategy;

  private readonly tokenizer: HfTokenizer;
  private readonly pipeline: Pipeline;
  private readonly addedByContent: Map<string, AddedToken>;
  private readonly specialIds: Set<number>;
  private readonly offsetFinder: OffsetFinder;

  private constructor(tokenizer: HfTokenizer, json: Json, config: Json | undefined) {
    this.tokenizer = tokenizer;
    this.pipeline = readPipeline(json);
    this.offsetStrategy = this.pipeline.strategy;
    const added = readAddedTokens(json);
    this.addedByContent = new Map(added.map((t) => [t.content, t]));
    this.specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
    const splitter = new AddedTokenSplitter(added, isObject(json.normalizer));
    this.offsetFinder = new OffsetFinder(this.pipeline, splitter, (token) => this.addedByContent.has(token));

    let maxId = -1;
    for (const id of tokenizer.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;

    const { bos, eos } = bosAndEos(
      json,
      config,
      (token) => tokenizer.token_to_id(token),
      (content) => this.addedByContent.get(content)?.id,
    );
    this.bosTokenId = bos;
    this.eosTokenId = eos;
  }

  /**
   * The tokenizer of a model folder: undefined when it has no tokenizer.json. tokenizer_config.json
   * is read too when present (special token names, BOS/EOS).
   */
  static async load(modelFolder: string): Promise<ModelTokenizer | undefined> {
    const files = await readTokenizerFiles(modelFolder);
    if (files === undefined) return undefined;
    return ModelTokenizer.fromJson(files.tokenizerJson, files.config, files.tokenizerFile);
  }

  /**
   * A tokenizer from the parsed contents of tokenizer.json (and tokenizer_config.json).
   * `source` names the file in errors.
   */
  static fromJson(tokenizerJson: unknown, tokenizerConfig?: unknown, source = 'tokenizer.json'): ModelTokenizer {
    if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) {
      throw new EngineError('BAD_TOKENIZER', `${source} is not a tokenizer: it has no "model" object`, source);
    }
    const config = isObject(tokenizerConfig) ? tokenizerConfig : undefined;
    try {
      return new ModelTokenizer(libraryTokenizer(tokenizerJson, config), tokenizerJson, config);
    } catch (error) {
      if (error instanceof EngineError) throw error;
      throw new EngineError('BAD_TOKENIZER', `${source} cannot be used: ${errorMessage(error)}`, source);
    }
  }

  /** Token ids of a text, with their strings and the range of the text each covers. */
  encode(text: string, options: EncodeOptions = {}): TokenizedText {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const full = this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens });
    // The library gives no offsets, nor which tokens the post-processor added: encoding again
    // without special tokens gives the text's own tokens.
    const own = addSpecialTokens ? this.tokenizer.encode(text, { add_special_tokens: false }).tokens : full.tokens;
    return { ids: full.ids, tokens: full.tokens, offsets: this.offsetFinder.offsets(text, full.tokens, own) };
  }

  /** Text of token ids; special tokens are left out unless `skipSpecialTokens` is false. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (ids.length === 0) return ''; // the JS package throws on an empty list
    for (const id of ids) this.checkId(id);
    return this.tokenizer.decode([...ids], {
      skip_special_tokens: options.skipSpecialTokens ?? true,
      // Decode exactly: the tidy-ups of clean_up_tokenization_spaces change the text.
      clean_up_tokenization_spaces: false,
    });
  }

  /**
   * A readable form of one token: byte-level `Ġthe` → ` the`, SentencePiece `▁the` → ` the`,
   * `<0x0A>` → `\n`. Bytes that are not a whole UTF-8 character show as `<0xNN>`; added tokens
   * (`<s>`, `<|endoftext|>`) show as themselves.
   */
  tokenString(id: number): string {
    const token = this.checkId(id);
    return this.addedByContent.has(token) ? token : displayToken(token, this.pipeline);
  }

  /** The vocabulary string of an id (`Ġthe`, `▁the`, `<0x0A>`), or undefined. */
  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.tokenizer.id_to_token(id) : undefined;
  }

  /** The id of a vocabulary string, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /** True for special tokens (BOS, EOS, padding, chat markers...). */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** The token string of an id, or BAD_PROMPT when the id is not in the vocabulary. */
  private checkId(id: number): string {
    const token = this.idToToken(id);
    if (token === undefined) {
      throw new EngineError('BAD_PROMPT', `Token id ${id} is not in the vocabulary (ids 0 to ${this.vocabSize - 1})`);
    }
    return token;
  }
}

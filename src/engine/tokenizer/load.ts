/**
 * Reading a model folder's tokenizer files, and building the `@huggingface/tokenizers` object
 * that does the tokenization itself.
 */

import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Tokenizer as HfTokenizer } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import { EngineError } from '../errors';
import { isObject, ofType, type Json } from './json';
import { configToken } from './specialTokens';

export type { HfTokenizer };

// The package's types are ESM-only, but it ships a CommonJS build, which is what this CommonJS
// module (and the esbuild bundle) load.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer } = require('@huggingface/tokenizers') as { Tokenizer: typeof HfTokenizer };

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The parsed tokenizer files of a model folder. */
export interface TokenizerFiles {
  tokenizerFile: string;
  /** tokenizer.json, parsed but not yet checked. */
  tokenizerJson: unknown;
  /** tokenizer_config.json, undefined when the folder has none. */
  config: Json | undefined;
}

/**
 * tokenizer.json and tokenizer_config.json of a model folder; undefined when it has no
 * tokenizer.json. Unreadable files are FILE_NOT_FOUND, malformed ones BAD_TOKENIZER.
 */
export async function readTokenizerFiles(modelFolder: string): Promise<TokenizerFiles | undefined> {
  try {
    await stat(modelFolder);
  } catch (error) {
    throw new EngineError('FILE_NOT_FOUND', `Model folder ${modelFolder} cannot be read: ${errorMessage(error)}`, modelFolder);
  }
  const tokenizerFile = path.join(modelFolder, 'tokenizer.json');
  const tokenizerText = await readOptional(tokenizerFile);
  if (tokenizerText === undefined) return undefined;
  const configFile = path.join(modelFolder, 'tokenizer_config.json');
  const configText = await readOptional(configFile);
  let config: Json | undefined;
  if (configText !== undefined) {
    const parsed = parseJson(configText, configFile);
    if (!isObject(parsed)) throw new EngineError('BAD_TOKENIZER', `${configFile} is not a JSON object`, configFile);
    config = parsed;
  }
  return { tokenizerFile, tokenizerJson: parseJson(tokenizerText, tokenizerFile), config };
}

/** The library's tokenizer for a tokenizer.json (and tokenizer_config.json); throws what it throws. */
export function libraryTokenizer(json: Json, config: Json | undefined): HfTokenizer {
  return new Tokenizer(forLibrary(json), configForLibrary(config ?? {}));
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new EngineError('FILE_NOT_FOUND', `${file} cannot be read: ${errorMessage(error)}`, file);
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new EngineError('BAD_TOKENIZER', `${file} is not valid JSON: ${errorMessage(error)}`, file);
  }
}

/**
 * A copy of tokenizer.json the JS package reads as the Rust crate does: missing pipeline keys
 * become null (the package requires them), and an old-style Metaspace `add_prefix_space: false`
 * becomes `prepend_scheme: "never"` (the package ignores `add_prefix_space` and would add one).
 */
function forLibrary(json: Json): Json {
  const copy: Json = { ...json };
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) {
    if (copy[key] === undefined) copy[key] = null;
  }
  if (!Array.isArray(copy.added_tokens)) copy.added_tokens = [];
  if (isObject(copy.pre_tokenizer)) {
    const pre = JSON.parse(JSON.stringify(copy.pre_tokenizer)) as Json;
    for (const c of ofType(pre, 'Metaspace')) {
      if (c.prepend_scheme === undefined) c.prepend_scheme = c.add_prefix_space === false ? 'never' : 'always';
    }
    copy.pre_tokenizer = pre;
  }
  return copy;
}

/** tokenizer_config.json with AddedToken objects flattened to strings, as the JS package expects. */
function configForLibrary(config: Json): Json {
  const copy: Json = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.endsWith('_token') && isObject(value)) {
      copy[key] = configToken(value);
    } else if (key === 'additional_special_tokens' && Array.isArray(value)) {
      copy[key] = value.map(configToken).filter((t): t is string => t !== undefined);
    } else {
      copy[key] = value;
    }
  }
  return copy;
}

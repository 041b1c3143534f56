/**
 * The workspace the journeys open: the sample model, the demo's code file, and a corrupt weights
 * file. The sample model is `samples/code-2l/` when the repository has it; otherwise the trained
 * induction fixture (test/fixtures/models/induction), which has no tokenizer.json of its own and gets
 * a byte-level one here (id = byte value, the fixture's 256-token vocabulary) so that text prompts
 * run: the fixture was trained on random ids, so any text repeated twice is a repeated sequence to it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../runner/buildSuite';

export interface E2eWorkspace {
  /** The workspace folder. */
  readonly root: string;
  /** The model folder's name in the workspace (the explorer shows it). */
  readonly modelFolder: string;
  /** Absolute path of the model folder. */
  readonly modelDir: string;
  /** Where the model came from, relative to the repository. */
  readonly modelSource: string;
  /** The demo code file's name. */
  readonly codeFile: string;
  /** The corrupt weights file's name (at the workspace root). */
  readonly corruptFile: string;
}

const SAMPLE = path.join(REPO_ROOT, 'samples', 'code-2l');
const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'models', 'induction');
const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];

/** The sample model when it is complete (weights, config and tokenizer), else undefined. */
function sampleModel(): string | undefined {
  const complete = ['config.json', 'model.safetensors', 'tokenizer.json'].every((f) => fs.existsSync(path.join(SAMPLE, f)));
  return complete ? SAMPLE : undefined;
}

export function buildWorkspace(root: string): E2eWorkspace {
  const source = sampleModel() ?? FIXTURE;
  const modelFolder = source === SAMPLE ? 'code-2l' : 'induction';
  const modelDir = path.join(root, modelFolder);
  fs.mkdirSync(modelDir);
  for (const file of MODEL_FILES) {
    const from = path.join(source, file);
    if (fs.existsSync(from)) fs.copyFileSync(from, path.join(modelDir, file));
  }
  if (!fs.existsSync(path.join(modelDir, 'tokenizer.json'))) {
    const config = JSON.parse(fs.readFileSync(path.join(source, 'config.json'), 'utf8')) as { vocab_size?: number };
    if (config.vocab_size !== 256) throw new Error(`${path.relative(REPO_ROOT, source)} has no tokenizer.json and a vocabulary of ${config.vocab_size}, not 256 bytes`);
    fs.writeFileSync(path.join(modelDir, 'tokenizer.json'), JSON.stringify(byteTokenizer()));
  }

  const codeFile = 'add.ts';
  fs.copyFileSync(path.join(REPO_ROOT, 'demo', codeFile), path.join(root, codeFile));

  // A safetensors file whose header length is fine but whose header is not JSON.
  const corruptFile = 'corrupt.safetensors';
  const header = Buffer.from('this is not a safetensors header, just text.', 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  fs.writeFileSync(path.join(root, corruptFile), Buffer.concat([length, header, Buffer.alloc(64, 0xab)]));

  return { root, modelFolder, modelDir, modelSource: path.relative(REPO_ROOT, source), codeFile, corruptFile };
}

/**
 * GPT-2's reversible byte → printable character table: byte-level BPE vocabularies spell each
 * byte as one of these characters.
 */
function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return table;
}

/** A tokenizer.json (Hugging Face `tokenizers` format): byte-level BPE without merges, one token per byte, id = byte. */
function byteTokenizer(): object {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((char, byte) => (vocab[char] = byte));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
  };
}

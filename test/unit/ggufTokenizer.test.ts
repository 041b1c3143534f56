/**
 * Tokenizers built from GGUF metadata against Hugging Face: the byte-level BPE vocabulary of the
 * gpt2 fixture (golden ids from its own tokenizer.json, which transformers' GGUF tokenizer loader
 * reproduces), and a SentencePiece BPE vocabulary with byte fallback (golden ids from
 * transformers' GGUF tokenizer loader; sentencepiece's own ids are recorded beside them). See
 * test/fixtures/gguf/convert_models.py.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { EngineError } from '../../src/engine/errors';
import { openGguf, type GgufValue } from '../../src/engine/formats/gguf';
import { ggufTokenizer, mergesFromScores } from '../../src/engine/tokenizer/ggufTokenizer';
import type { ModelTokenizer } from '../../src/engine/tokenizer';
import { FIXTURES_DIR } from './helpers/fixtures';

const GGUF_DIR = path.join(FIXTURES_DIR, 'gguf', 'models');

interface TokenizerCase {
  text: string;
  ids: number[];
  sentencepiece_agrees?: boolean;
}

const reference = JSON.parse(readFileSync(path.join(GGUF_DIR, 'reference.json'), 'utf8')) as {
  tokenizers: Record<'gpt2' | 'llama_spm', { file: string; cases: TokenizerCase[] }>;
};

async function tokenizerOf(file: string): Promise<ModelTokenizer> {
  const gguf = await openGguf(path.join(GGUF_DIR, file));
  try {
    const tokenizer = ggufTokenizer(gguf);
    assert.ok(tokenizer, `${file} has tokenizer metadata`);
    return tokenizer;
  } finally {
    await gguf.close();
  }
}

/** Every offset is a range of the text, in order, and the tokens between them cover it. */
function checkOffsets(text: string, offsets: readonly [number, number][]): void {
  for (const [start, end] of offsets) {
    assert.ok(start >= 0 && start <= end && end <= text.length, `offset [${start}, ${end}) outside "${text}"`);
  }
}

for (const [name, { file, cases }] of Object.entries(reference.tokenizers)) {
  describe(`GGUF tokenizer: ${name} (${file})`, () => {
    for (const c of cases) {
      it(`encodes ${JSON.stringify(c.text)} as Hugging Face does`, async () => {
        const tokenizer = await tokenizerOf(file);
        const encoded = tokenizer.encode(c.text);
        assert.deepEqual(encoded.ids, c.ids);
        checkOffsets(c.text, encoded.offsets);
        // Decoding gives the text back (no <unk>: byte fallback), less the prefix space SentencePiece
        // adds and its decoder strips, which also takes a leading space of the text itself.
        if (c.ids.length > 0 && !c.text.startsWith(' ')) assert.equal(tokenizer.decode(encoded.ids), c.text);
      });
    }
  });
}

describe('GGUF tokenizer special tokens', () => {
  it('llama: BOS from tokenizer.ggml.bos_token_id, added because add_bos_token is true', async () => {
    const tokenizer = await tokenizerOf('vocab-llama-spm.gguf');
    assert.equal(tokenizer.bosTokenId, 1);
    assert.equal(tokenizer.eosTokenId, 2);
    assert.ok(tokenizer.isSpecial(1) && tokenizer.isSpecial(2));
    assert.deepEqual(tokenizer.encode('hello', { addSpecialTokens: false }).ids[0] !== 1, true);
    assert.equal(tokenizer.encode('hello').ids[0], 1);
    // Byte fallback: a character outside the vocabulary is its UTF-8 bytes.
    const emoji = tokenizer.encode('🙂', { addSpecialTokens: false });
    assert.deepEqual(emoji.tokens.slice(-4), ['<0xF0>', '<0x9F>', '<0x99>', '<0x82>']);
  });

  it('gpt2: <|endoftext|> is a special token and no BOS is added', async () => {
    const tokenizer = await tokenizerOf('gpt2-q8_0.gguf');
    assert.equal(tokenizer.bosTokenId, 0);
    assert.ok(tokenizer.isSpecial(0));
    assert.deepEqual(tokenizer.encode('<|endoftext|>hi').ids.slice(0, 1), [0]);
    assert.notEqual(tokenizer.encode('hi').ids[0], 0);
  });

  it('a file without tokenizer metadata has no tokenizer', async () => {
    const gguf = await openGguf(path.join(GGUF_DIR, 'llama-f32.gguf'));
    try {
      assert.equal(ggufTokenizer(gguf), undefined);
    } finally {
      await gguf.close();
    }
  });
});

/** Hand-made metadata, for what the fixtures do not exercise. */
function header(entries: Record<string, GgufValue>) {
  return { path: '/models/hand-made.gguf', metadata: new Map(Object.entries(entries)) };
}
const strings = (items: string[]): GgufValue => ({ itemType: 'STRING', items });
const floats = (items: number[]): GgufValue => ({ itemType: 'FLOAT32', items });
const ints = (items: number[]): GgufValue => ({ itemType: 'INT32', items });

describe('GGUF tokenizer from hand-made metadata', () => {
  it('recovers SentencePiece merges best score first, longer left part first on a tie', () => {
    const tokens = ['a', 'b', 'c', 'ab', 'bc', 'abc'];
    const scores = [0, 0, 0, -1, -2, -1];
    // abc splits as a+bc and ab+c (same score as ab): ab+c first (longer left), then a+b, a+bc...
    assert.deepEqual(mergesFromScores(tokens, scores), [
      ['ab', 'c'],
      ['a', 'bc'],
      ['a', 'b'],
      ['b', 'c'],
    ]);
  });

  it('an unknown tokenizer model is one BAD_TOKENIZER error naming the file', () => {
    assert.throws(
      () => ggufTokenizer(header({ 'tokenizer.ggml.model': 'rwkv', 'tokenizer.ggml.tokens': strings(['a']) })),
      (error: unknown) => error instanceof EngineError && error.code === 'BAD_TOKENIZER' && /hand-made\.gguf.*"rwkv"/.test(error.message),
    );
  });

  it('a BOS id outside the vocabulary is refused', () => {
    assert.throws(
      () =>
        ggufTokenizer(
          header({
            'tokenizer.ggml.model': 'llama',
            'tokenizer.ggml.tokens': strings(['<unk>', '▁a']),
            'tokenizer.ggml.scores': floats([0, -1]),
            'tokenizer.ggml.token_type': ints([2, 1]),
            'tokenizer.ggml.bos_token_id': 7,
          }),
        ),
      /bos_token_id is 7/,
    );
  });

  it('add_space_prefix false: no ▁ before the text', () => {
    const tokenizer = ggufTokenizer(
      header({
        'tokenizer.ggml.model': 'llama',
        'tokenizer.ggml.tokens': strings(['<unk>', '<s>', 'a', '▁', '▁a']),
        'tokenizer.ggml.scores': floats([0, 0, -1, -1, -2]),
        'tokenizer.ggml.token_type': ints([2, 3, 1, 1, 1]),
        'tokenizer.ggml.bos_token_id': 1,
        'tokenizer.ggml.add_space_prefix': false,
        'tokenizer.ggml.add_bos_token': false,
      }),
    )!;
    assert.deepEqual(tokenizer.encode('a a').tokens, ['a', '▁a']);
  });
});

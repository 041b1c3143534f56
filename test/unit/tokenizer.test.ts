/**
 * ModelTokenizer against the reference implementation: every id, token, offset and decoded string
 * below comes from Hugging Face's Python `tokenizers` (test/fixtures/tokenizers/generate.py trains
 * the two fixture tokenizers and records what it returns), never from our own code.
 *
 * Offsets: Python reports code point indices, we report UTF-16 indices, so the expected offsets are
 * converted before comparing. No principled difference had to be allowed for: for a character
 * split across tokens (byte-level BPE splits UTF-8 anywhere, byte fallback emits one token per
 * byte) Hugging Face gives every token that holds any of its bytes the whole character, so those
 * tokens overlap, and so do we; the prefix space a tokenizer adds takes the range of the character
 * it precedes, both ways.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { EngineError } from '../../src/engine/errors';
import { ModelTokenizer } from '../../src/engine/tokenizer';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'tokenizers');

interface ReferenceCase {
  text: string;
  ids: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  decoded: string;
  decodedWithSpecial: string;
}

interface ReferenceTokenizer {
  folder: string;
  /** Top-level keys of tokenizer.json to replace ("a.b" replaces a nested field). */
  patch: Record<string, unknown>;
  vocabSize: number;
  cases: ReferenceCase[];
}

const reference = JSON.parse(readFileSync(path.join(FIXTURES, 'reference.json'), 'utf8')) as {
  tokenizers: Record<string, ReferenceTokenizer>;
};

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The fixture tokenizer a reference entry describes: its folder's files with the patch applied. */
function referenceTokenizer(entry: ReferenceTokenizer): ModelTokenizer {
  const file = path.join(FIXTURES, entry.folder, 'tokenizer.json');
  const json = readJson(file) as Record<string, unknown>;
  for (const [key, value] of Object.entries(entry.patch)) {
    const keys = key.split('.');
    let target = json;
    for (const k of keys.slice(0, -1)) target = target[k] as Record<string, unknown>;
    target[keys[keys.length - 1]] = value;
  }
  const config = readJson(path.join(FIXTURES, entry.folder, 'tokenizer_config.json'));
  return ModelTokenizer.fromJson(json, config, file);
}

/** Python (code point) offsets as JS (UTF-16) offsets. */
function utf16Offsets(text: string, offsets: Array<[number, number]>): Array<[number, number]> {
  const at = [0];
  for (const c of text) at.push(at[at.length - 1] + c.length);
  return offsets.map(([s, e]) => [at[s], at[e]]);
}

const show = (text: string): string => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

for (const [name, entry] of Object.entries(reference.tokenizers)) {
  describe(`${name} tokenizer matches Hugging Face tokenizers`, () => {
    const tokenizer = referenceTokenizer(entry);

    it('has the same vocabulary size', () => {
      assert.equal(tokenizer.vocabSize, entry.vocabSize);
    });

    for (const c of entry.cases) {
      it(`encodes ${show(c.text)}`, () => {
        const encoded = tokenizer.encode(c.text);
        assert.deepEqual(encoded.ids, c.ids);
        assert.deepEqual(encoded.tokens, c.tokens);
        assert.deepEqual(encoded.offsets, utf16Offsets(c.text, c.offsets));
      });

      it(`decodes ${show(c.text)}`, () => {
        assert.equal(tokenizer.decode(c.ids), c.decoded);
        assert.equal(tokenizer.decode(c.ids, { skipSpecialTokens: false }), c.decodedWithSpecial);
      });
    }
  });
}

describe('ModelTokenizer on the fixtures', () => {
  const byteLevel = referenceTokenizer(reference.tokenizers.bytelevel);
  const metaspace = referenceTokenizer(reference.tokenizers.metaspace);

  it('recognises the kind of vocabulary', () => {
    assert.equal(byteLevel.offsetStrategy, 'byte-level');
    assert.equal(metaspace.offsetStrategy, 'metaspace');
  });

  it('reads BOS and EOS from tokenizer_config.json (strings or AddedToken objects)', () => {
    assert.equal(byteLevel.bosTokenId, byteLevel.tokenToId('<|endoftext|>'));
    assert.equal(byteLevel.eosTokenId, byteLevel.tokenToId('<|endoftext|>'));
    assert.equal(metaspace.bosTokenId, metaspace.tokenToId('<s>'));
    assert.equal(metaspace.eosTokenId, metaspace.tokenToId('</s>'));
    assert.equal(metaspace.isSpecial(metaspace.tokenToId('<s>') ?? -1), true);
    assert.equal(metaspace.isSpecial(metaspace.tokenToId('▁the') ?? -1), false);
  });

  it('falls back to the post-processor template and token names without tokenizer_config.json', () => {
    const json = readJson(path.join(FIXTURES, 'metaspace', 'tokenizer.json'));
    const bare = ModelTokenizer.fromJson(json);
    assert.equal(bare.bosTokenId, bare.tokenToId('<s>'));
    assert.equal(bare.eosTokenId, bare.tokenToId('</s>'));
  });

  it('round-trips text through encode and decode', () => {
    for (const text of ['def f(x):\n\treturn x ** 2  # 平方 🙂', 'naïve café — «quotes»', '']) {
      assert.equal(byteLevel.decode(byteLevel.encode(text).ids), text);
      assert.equal(metaspace.decode(metaspace.encode(text).ids), text);
    }
  });

  it('leaves special tokens out on request', () => {
    const plain = metaspace.encode('hello', { addSpecialTokens: false });
    const full = metaspace.encode('hello');
    assert.deepEqual(full.ids, [metaspace.tokenToId('<s>'), ...plain.ids]);
    assert.deepEqual(full.offsets, [[0, 0], ...plain.offsets]);
  });

  it('shows tokens readably', () => {
    const id = (t: ModelTokenizer, token: string): number => {
      const found = t.tokenToId(token);
      assert.notEqual(found, undefined, `${token} is in the fixture vocabulary`);
      return found ?? -1;
    };
    assert.equal(byteLevel.tokenString(id(byteLevel, 'Ġthe')), ' the');
    assert.equal(byteLevel.tokenString(id(byteLevel, 'Ċ')), '\n');
    assert.equal(byteLevel.tokenString(id(byteLevel, 'Ã©')), 'é');
    assert.equal(byteLevel.tokenString(id(byteLevel, 'ĠðŁĻĤ')), ' 🙂');
    // Part of a character: the bytes that do not make one are shown as <0xNN>.
    assert.equal(byteLevel.tokenString(id(byteLevel, 'ðŁ')), '<0xF0><0x9F>');
    assert.equal(byteLevel.tokenString(id(byteLevel, '<|endoftext|>')), '<|endoftext|>');
    assert.equal(metaspace.tokenString(id(metaspace, '▁the')), ' the');
    assert.equal(metaspace.tokenString(id(metaspace, '<0x0A>')), '\n');
    assert.equal(metaspace.tokenString(id(metaspace, '<0x41>')), 'A');
    assert.equal(metaspace.tokenString(id(metaspace, '<0xE5>')), '<0xE5>');
    assert.equal(metaspace.tokenString(id(metaspace, '<s>')), '<s>');
    assert.equal(metaspace.idToToken(id(metaspace, '▁the')), '▁the');
  });

  it('rejects ids outside the vocabulary with BAD_PROMPT', () => {
    for (const bad of [-1, 1.5, metaspace.vocabSize, Number.NaN]) {
      assert.throws(() => metaspace.tokenString(bad), (e: unknown) => e instanceof EngineError && e.code === 'BAD_PROMPT');
      assert.throws(() => metaspace.decode([1, bad]), (e: unknown) => e instanceof EngineError && e.code === 'BAD_PROMPT');
    }
  });

  it('decodes an empty id list to an empty string', () => {
    assert.equal(byteLevel.decode([]), '');
  });

  // Properties on arbitrary text (lone surrogates included): offsets are well-formed ranges of the
  // text that never cut a surrogate pair, and the text they cover holds the token's bytes.
  const pieces = [' ', '  ', '\n', '\t', 'é', 'e\u0301', '中', '🙂', '<s>', '</s>', '<|endoftext|>', '\ud800'];
  const textArb = fc.string({
    unit: fc.oneof(fc.constantFrom(...pieces), fc.string({ unit: 'binary', maxLength: 3 })),
    maxLength: 30,
  });
  const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
  const splitsPair = (text: string, i: number): boolean =>
    i > 0 && i < text.length && /[\ud800-\udbff]/.test(text[i - 1]) && /[\udc00-\udfff]/.test(text[i]);

  for (const [name, tokenizer] of [['byte-level', byteLevel], ['metaspace', metaspace]] as const) {
    it(`gives well-formed offsets for any text (${name})`, () => {
      fc.assert(
        fc.property(textArb, (text) => {
          const { ids, offsets } = tokenizer.encode(text, { addSpecialTokens: false });
          assert.equal(offsets.length, ids.length);
          let previous = 0;
          offsets.forEach(([s, e], i) => {
            assert.ok(s >= 0 && s <= e && e <= text.length, `offset ${i} in range`);
            assert.ok(!splitsPair(text, s) && !splitsPair(text, e), `offset ${i} does not split a surrogate pair`);
            assert.ok(s >= previous, `offset ${i} does not go back`);
            previous = s;
            // The token's text lies in the text it covers (less a space the tokenizer may have added;
            // a token holding part of a character is covered by the whole-character rule).
            const shown = tokenizer.tokenString(ids[i]);
            if (shown.includes('<0x')) return;
            const own = name === 'metaspace' && shown.startsWith(' ') ? shown.slice(1) : shown;
            assert.ok(utf8(text.slice(s, e)).includes(utf8(own)), `token ${i} ${JSON.stringify(shown)} lies in its range`);
          });
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('ModelTokenizer on other vocabularies', () => {
  it('aligns WordPiece tokens through a lowercasing normalizer (generic strategy)', () => {
    const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'hello', ',', 'world', '##s', 'caf', '##e', '!'];
    const tokenizer = ModelTokenizer.fromJson({
      version: '1.0',
      added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]'].map((content, id) => ({ id, content, special: true, normalized: false })),
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab.map((t, i) => [t, i])) },
    });
    assert.equal(tokenizer.offsetStrategy, 'generic');
    const text = 'Hello, WORLDS  Café ?';
    const { tokens, offsets } = tokenizer.encode(text);
    assert.deepEqual(tokens, ['[CLS]', 'hello', ',', 'world', '##s', 'caf', '##e', '[UNK]', '[SEP]']);
    assert.deepEqual(
      offsets.map(([s, e]) => text.slice(s, e)),
      ['', 'Hello', ',', 'WORLD', 'S', 'Caf', 'é', '?', ''],
    );
  });

  it('never throws because of offsets, even when a normalizer is not modelled', () => {
    const json = readJson(path.join(FIXTURES, 'bytelevel', 'tokenizer.json')) as Record<string, unknown>;
    json.normalizer = { type: 'Replace', pattern: { Regex: '[aeiou]' }, content: 'XY' };
    const tokenizer = ModelTokenizer.fromJson(json);
    const text = 'the quick brown fox 🙂 jumps';
    const { offsets } = tokenizer.encode(text);
    for (const [s, e] of offsets) assert.ok(s >= 0 && s <= e && e <= text.length);
  });
});

describe('ModelTokenizer.load', () => {
  const folders: string[] = [];
  const folder = async (files: Record<string, string>): Promise<string> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tokenizer-test-'));
    folders.push(dir);
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    return dir;
  };
  after(async () => {
    for (const dir of folders) await rm(dir, { recursive: true, force: true });
  });

  const isError = (code: string, file: string) => (e: unknown): boolean => {
    assert.ok(e instanceof EngineError, `an EngineError, not ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.file, file);
    assert.ok(e.message.includes(file), `the message names ${file}: ${e.message}`);
    return true;
  };

  it('loads a fixture folder with its tokenizer_config.json', async () => {
    const tokenizer = await ModelTokenizer.load(path.join(FIXTURES, 'metaspace'));
    assert.ok(tokenizer);
    assert.equal(tokenizer.bosTokenId, 1);
    assert.deepEqual(tokenizer.encode('a').ids, reference.tokenizers.metaspace.cases.find((c) => c.text === 'a')?.ids);
  });

  it('returns undefined for a folder without tokenizer.json', async () => {
    assert.equal(await ModelTokenizer.load(await folder({ 'config.json': '{}' })), undefined);
  });

  it('reports a missing folder as FILE_NOT_FOUND', async () => {
    const missing = path.join(tmpdir(), 'no-such-model-folder-8d1f0c');
    await assert.rejects(ModelTokenizer.load(missing), isError('FILE_NOT_FOUND', missing));
  });

  it('reports malformed JSON as BAD_TOKENIZER naming the file', async () => {
    const dir = await folder({ 'tokenizer.json': '{"model": {"type": "BPE", "vocab": {' });
    await assert.rejects(ModelTokenizer.load(dir), isError('BAD_TOKENIZER', path.join(dir, 'tokenizer.json')));
  });

  it('reports JSON that is not a tokenizer as BAD_TOKENIZER naming the file', async () => {
    for (const text of ['[]', '{"version": "1.0"}', '{"model": {"type": "Nonsense"}}']) {
      const dir = await folder({ 'tokenizer.json': text });
      await assert.rejects(ModelTokenizer.load(dir), isError('BAD_TOKENIZER', path.join(dir, 'tokenizer.json')));
    }
    const json = readJson(path.join(FIXTURES, 'bytelevel', 'tokenizer.json')) as Record<string, unknown>;
    json.pre_tokenizer = { type: 'NoSuchPreTokenizer' };
    const dir = await folder({ 'tokenizer.json': JSON.stringify(json) });
    await assert.rejects(ModelTokenizer.load(dir), isError('BAD_TOKENIZER', path.join(dir, 'tokenizer.json')));
  });

  it('reports a malformed tokenizer_config.json as BAD_TOKENIZER naming it', async () => {
    const dir = await folder({
      'tokenizer.json': readFileSync(path.join(FIXTURES, 'bytelevel', 'tokenizer.json'), 'utf8'),
      'tokenizer_config.json': '{"bos_token": ',
    });
    await assert.rejects(ModelTokenizer.load(dir), isError('BAD_TOKENIZER', path.join(dir, 'tokenizer_config.json')));
  });
});

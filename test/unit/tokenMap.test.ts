/** Token ↔ document mapping and attention rows/columns for the editor overlay. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attentionWeights, tokenAt, tokenSpans, topWeights } from '../../src/editor/tokenMap';
import { ModelTokenizer } from '../../src/engine/tokenizer';
import { modelDir, readReference } from './helpers/fixtures';

describe('token spans in a document', () => {
  it('map the tokenizer offsets of a prompt back onto the document text', async () => {
    const reference = readReference('gpt2').cases.find((c) => c.text !== undefined)!;
    const tokenizer = (await ModelTokenizer.load(modelDir('gpt2')))!;
    const prefix = '// analyzed below\n';
    const document = prefix + reference.text! + '\n// after';
    const encoded = tokenizer.encode(reference.text!);
    const spans = tokenSpans(encoded.offsets, prefix.length);
    // Concatenating each token's document text gives back exactly the selection.
    assert.equal(spans.map(([s, e]) => document.slice(s, e)).join(''), reference.text);
    // Every character of the selection belongs to the token that covers it.
    for (let offset = prefix.length; offset < prefix.length + reference.text!.length; offset++) {
      const index = tokenAt(spans, offset);
      const [start, end] = spans[index]!;
      assert.ok(start <= offset && offset < end);
    }
    assert.equal(tokenAt(spans, 0), -1, 'before the selection');
    assert.equal(tokenAt(spans, document.length - 1), -1, 'after the selection');
  });

  it('prefers the last token when tokens share a character, and skips empty spans', () => {
    const spans = [[0, 2], [1, 2], [2, 2], [2, 3]] as const;
    assert.equal(tokenAt(spans, 1), 1);
    assert.equal(tokenAt(spans, 0), 0);
    assert.equal(tokenAt(spans, 2), 3);
  });
});

describe('attention weights of one head', () => {
  const reference = readReference('gpt2').cases[0]!;
  const n = reference.tokens.length;
  const layer = 1;
  // The reference attentions of a layer, flattened as the engine sends them: [head, query, key].
  const pattern = Float32Array.from(reference.attentions[layer]!.flat(2));

  it('a query row is what the token attends to; a key column is what attends to it', () => {
    for (const head of [0, 3]) {
      for (const token of [0, n - 1, 3]) {
        assert.deepEqual(Array.from(attentionWeights(pattern, n, head, token, 'query')), reference.attentions[layer]![head]![token]!.map(Math.fround));
        const column = reference.attentions[layer]![head]!.map((row) => Math.fround(row[token]!));
        assert.deepEqual(Array.from(attentionWeights(pattern, n, head, token, 'key')), column);
      }
    }
  });

  it('topWeights returns the largest weights first', () => {
    const weights = Float32Array.from([0.1, 0.5, 0.05, 0.35]);
    assert.deepEqual(topWeights(weights, 2).map((w) => w.index), [1, 3]);
    assert.deepEqual(topWeights(Float32Array.from([0.5, 0.5]), 2).map((w) => w.index), [0, 1]);
  });
});

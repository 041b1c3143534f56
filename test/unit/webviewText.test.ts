/**
 * The webview's text logic: visible whitespace, number formats, top-k, CSV/JSON exports, the model
 * card and tensor table, and the panel HTML's content security policy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as vscode from 'vscode';
import type { Predictions, TensorRow } from '../../src/protocol/engine';
import { inspectorHtml } from '../../src/panel/html';
import { csvField, matrixCsv, toCsv, toJson, uniqueLabels } from '../../webview/lib/csv';
import { exportFileName, formatBytes, formatCount, formatInteger, formatNumber, formatProb, formatShape, modelName, safeFileName, topPredictions } from '../../webview/lib/format';
import { cardEntries, filterTensors, sortTensors, statsEntries, tensorsCsv } from '../../webview/lib/model';
import { lossBars, lossesCsv, nextTokenView, predictionsCsv } from '../../webview/lib/predictions';
import { endsLine, tokenLabel, tokenSegments, truncateLabel, visibleWhitespace } from '../../webview/lib/tokens';

describe('tokens', () => {
  it('makes whitespace visible: space ·, tab →, newline ↵', () => {
    assert.equal(visibleWhitespace(' the'), '·the');
    assert.equal(visibleWhitespace('\tx\n'), '→x↵');
    assert.equal(visibleWhitespace('a\r\nb'), 'a↵b', 'CRLF is one line break');
    assert.equal(visibleWhitespace('   '), '···');
    assert.equal(visibleWhitespace('\u0000\u001b\u007f'), '␀␛␡');
    assert.equal(visibleWhitespace(''), '∅');
    assert.equal(visibleWhitespace('naïve 😀'), 'naïve·😀');
  });

  it('splits tokens into text and whitespace runs', () => {
    assert.deepEqual(tokenSegments('  if\n'), [
      { text: '··', ws: true },
      { text: 'if', ws: false },
      { text: '↵', ws: true },
    ]);
    assert.deepEqual(tokenSegments('abc'), [{ text: 'abc', ws: false }]);
  });

  it('cuts labels by code point', () => {
    assert.equal(truncateLabel('abcdef', 4), 'abc…');
    assert.equal(truncateLabel('😀😀😀😀😀', 3), '😀😀…');
    assert.equal(truncateLabel('abc', 3), 'abc');
    assert.equal(tokenLabel(' function_name_long', 8), '·functi…');
    assert.ok(endsLine('x\n') && !endsLine('\nx'));
  });
});

describe('formats', () => {
  it('counts, bytes and shapes', () => {
    assert.equal(formatCount(124_439_808), '124.4M');
    assert.equal(formatCount(6_738_415_616), '6.74B');
    assert.equal(formatCount(999_999), '1.00M');
    assert.equal(formatCount(512), '512');
    assert.equal(formatInteger(50257), '50,257');
    assert.equal(formatInteger(-1234567), '-1,234,567');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(154_389_504), '147 MiB');
    assert.equal(formatShape([768, 2304]), '768 × 2304');
    assert.equal(formatShape([]), 'scalar');
  });

  it('numbers with 4 significant digits, exponents outside [1e-3, 1e5), a real minus', () => {
    assert.equal(formatNumber(0.0123456), '0.01235');
    assert.equal(formatNumber(-2.5), '−2.5');
    assert.equal(formatNumber(1.5e-7), '1.5e−7');
    assert.equal(formatNumber(-123456), '−1.235e5');
    assert.equal(formatNumber(-0), '0');
    assert.equal(formatNumber(NaN), 'NaN');
    assert.equal(formatNumber(-Infinity), '−∞');
  });

  it('probabilities as percentages', () => {
    assert.equal(formatProb(0.1234), '12.3%');
    assert.equal(formatProb(0.0123), '1.23%');
    assert.equal(formatProb(0.00042), '0.042%');
    assert.equal(formatProb(0.99999), '100%');
    assert.equal(formatProb(0), '0%');
  });

  it('top-k at a position, best first, with strings or ids', () => {
    const p: Predictions = { k: 3, ids: new Int32Array([1, 2, 3, 4, 5, 6]), probs: new Float32Array([0.1, 0.2, 0.05, 0.5, 0.25, 0.125]), strings: ['a', 'b', 'c', ' d', 'e', 'f'] };
    const rows = topPredictions(p, 1);
    assert.deepEqual(
      rows.map((r) => [r.rank, r.id, r.text, r.prob]),
      [
        [1, 4, ' d', 0.5],
        [2, 5, 'e', 0.25],
        [3, 6, 'f', 0.125],
      ],
    );
    assert.equal(topPredictions(p, 0)[0]?.id, 2, 'sorted by probability');
    assert.deepEqual(topPredictions(p, 2), []);
    assert.equal(topPredictions({ ...p, strings: undefined }, 1)[0]?.text, '#4');
  });

  it('model names and export file names', () => {
    assert.equal(modelName('/models/gpt2/model.safetensors'), 'gpt2');
    assert.equal(modelName('/models/llama/model.safetensors.index.json'), 'llama');
    assert.equal(modelName('C:\\m\\tiny.safetensors'), 'tiny');
    assert.equal(modelName('/models/tinyllama-q4_k.gguf'), 'tinyllama-q4_k');
    assert.equal(modelName('/m/pythia-70m/'), 'pythia-70m');
    assert.equal(exportFileName('/m/gpt2/model.safetensors', 'attention-L3H5', 'png'), 'gpt2-attention-L3H5.png');
    assert.equal(exportFileName(undefined, 'qk', 'csv'), 'qk.csv');
    assert.equal(safeFileName('a/b\\c:*?"<>|d'), 'a-b-c-d');
    assert.equal(safeFileName('...'), 'export');
  });
});

describe('exports', () => {
  it('escapes CSV fields (RFC 4180)', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('line\nbreak'), '"line\nbreak"');
    assert.equal(csvField(' the'), '" the"', 'a leading space survives spreadsheet trimming');
    assert.equal(csvField(''), '');
    assert.equal(csvField(undefined), '');
    assert.equal(csvField(-0.5), '-0.5');
    assert.equal(csvField(NaN), 'NaN');
    assert.equal(toCsv(['a', 'b'], [[1, 'x,y']]), 'a,b\r\n1,"x,y"\r\n');
  });

  it('labeled matrices: header of column labels, each row its label', () => {
    const csv = matrixCsv(new Float32Array([9, 9, 1, 2, 3, 4]), 2, [' the', 'cat'], [',', '"'], 'query \\ key');
    assert.equal(csv, 'query \\ key,",",""""\r\n" the",1,2\r\ncat,3,4\r\n');
    assert.deepEqual(uniqueLabels([' the', 'x', ' the']), [' the@0', 'x', ' the@2']);
  });

  it('JSON writes typed arrays as arrays', () => {
    assert.equal(toJson({ a: new Float32Array([0.5, 1]), b: 'x' }), '{\n  "a": [\n    0.5,\n    1\n  ],\n  "b": "x"\n}\n');
  });

  it('predictions and losses as CSV', () => {
    const p: Predictions = { k: 1, ids: new Int32Array([7, 8]), probs: new Float32Array([0.5, 0.25]), strings: ['x', ' y'] };
    assert.equal(predictionsCsv(p, ['a', 'b']), 'position,token,rank,predicted_id,predicted_token,probability\r\n0,a,1,7,x,0.5\r\n1,b,1,8," y",0.25\r\n');
    const csv = lossesCsv(new Float32Array([Math.log(2)]), [1, 2], ['a', ' b']);
    const [header, row] = csv.split('\r\n');
    assert.equal(header, 'position,token_id,token,loss_nats,probability');
    const fields = row!.split(',');
    assert.deepEqual(fields.slice(0, 3), ['1', '2', '" b"']);
    assert.ok(Math.abs(Number(fields[3]) - Math.log(2)) < 1e-6);
    assert.ok(Math.abs(Number(fields[4]) - 0.5) < 1e-6);
  });
});

describe('predictions view logic', () => {
  const p: Predictions = { k: 2, ids: new Int32Array([20, 21, 30, 31, 40, 41]), probs: new Float32Array([0.6, 0.3, 0.7, 0.2, 0.9, 0.05]), strings: ['b', 'z', 'q', 'c', 'd', 'e'] };
  it('names the actual next token with its loss and rank', () => {
    const view = nextTokenView(p, new Float32Array([0.5, 2]), [10, 20, 31], ['a', 'b', 'c'], 1);
    assert.deepEqual(view.actual, { id: 31, text: 'c', loss: 2, prob: Math.exp(-2), rank: 2 });
    assert.equal(nextTokenView(p, new Float32Array([0.5, 2]), [10, 20, 31], ['a', 'b', 'c'], 0).actual?.rank, 1);
    assert.equal(nextTokenView(p, new Float32Array([0.5, 2]), [10, 20, 31], ['a', 'b', 'c'], 2).actual, undefined, 'the last position has no next token');
  });

  it('loss bars scale to the largest finite loss', () => {
    const { bar, max, heights } = lossBars(new Float32Array([1, 4, 2, Infinity]), 400, 100);
    assert.equal(max, 4);
    assert.equal(bar, 28);
    assert.deepEqual(heights, [25, 100, 50, 100]);
  });
});

describe('model section', () => {
  const rows: TensorRow[] = [
    { name: 'blocks.10.attn.W_Q', shape: [768, 768], dtype: 'F32', bytes: 2359296 },
    { name: 'blocks.2.attn.W_Q', shape: [768, 768], dtype: 'F16', bytes: 1179648 },
    { name: 'wte.weight', shape: [50257, 768], dtype: 'F32', bytes: 154389504 },
  ];

  it('card entries: formatted counts, KV heads when grouped', () => {
    const card = { architecture: 'llama', layers: 32, heads: 32, kvHeads: 8, dModel: 4096, dHead: 128, dMlp: 11008, vocab: 32000, context: 4096, parameters: 6_738_415_616, dtype: 'bfloat16', backend: 'wasm', tokenizer: false };
    const byLabel = Object.fromEntries(cardEntries(card).map((e) => [e.label, e.value]));
    assert.equal(byLabel.Heads, '32 (8 KV)');
    assert.equal(byLabel.Parameters, '6.74B');
    assert.equal(byLabel.d_mlp, '11,008');
    assert.equal(byLabel.Tokenizer, 'No');
    assert.equal(Object.fromEntries(cardEntries({ ...card, kvHeads: 32 }).map((e) => [e.label, e.value])).Heads, '32');
  });

  it('filters by every word over name, dtype and shape', () => {
    assert.deepEqual(filterTensors(rows, 'W_Q f16').map((r) => r.name), ['blocks.2.attn.W_Q']);
    assert.deepEqual(filterTensors(rows, '50257x768').map((r) => r.name), ['wte.weight']);
    assert.equal(filterTensors(rows, '  ').length, 3);
    assert.equal(filterTensors(rows, 'nothing').length, 0);
  });

  it('sorts names naturally and sizes numerically', () => {
    assert.deepEqual(sortTensors(rows, 'name').map((r) => r.name), ['blocks.2.attn.W_Q', 'blocks.10.attn.W_Q', 'wte.weight']);
    assert.deepEqual(sortTensors(rows, 'bytes', true).map((r) => r.bytes), [154389504, 2359296, 1179648]);
  });

  it('tensor CSV carries statistics when computed', () => {
    const stats = new Map([['wte.weight', { count: 3, mean: 0.5, std: 1, min: -1, max: 2, absMax: 2, nanCount: 0, infCount: 1 }]]);
    const csv = tensorsCsv(rows.slice(2), stats);
    assert.equal(csv, 'name,shape,dtype,bytes,mean,std,min,max,abs_max,nan_count,inf_count\r\nwte.weight,50257x768,F32,154389504,0.5,1,-1,2,2,0,1\r\n');
    assert.deepEqual(
      statsEntries(stats.get('wte.weight')!).map((e) => `${e.label}=${e.value}`),
      ['mean=0.5', 'std=1', 'min=−1', 'max=2', '|max|=2', 'NaN=0', 'Inf=1', 'values=3'],
    );
  });
});

describe('panel HTML', () => {
  function fakeUri(p: string): vscode.Uri {
    return { path: p, with: (c: { path?: string }) => fakeUri(c.path ?? p), toString: () => `https://file+.vscode-resource.example${p}` } as unknown as vscode.Uri;
  }
  const webview = { cspSource: 'https://*.vscode-cdn.net', asWebviewUri: (u: vscode.Uri) => fakeUri(`/res${u.path}`) } as unknown as vscode.Webview;
  const nonce = 'AbCdEfGhIjKlMnOpQrStUv';

  it('has a strict CSP: nothing by default, the script by nonce, no inline styles or eval', () => {
    const html = inspectorHtml(webview, fakeUri('/ext'), nonce);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    assert.deepEqual(directives['default-src'], ["'none'"]);
    assert.deepEqual(directives['script-src'], [`'nonce-${nonce}'`]);
    assert.deepEqual(directives['style-src'], ['https://*.vscode-cdn.net']);
    assert.deepEqual(directives['img-src'], ['https://*.vscode-cdn.net', 'blob:', 'data:']);
    assert.ok(!csp.includes('unsafe'), csp);
  });

  it('loads every asset through asWebviewUri: the bundle by nonce, the stylesheet, the codicons', () => {
    const html = inspectorHtml(webview, fakeUri('/ext'), nonce);
    assert.match(html, new RegExp(`<script nonce="${nonce}" src="https://file\\+\\.vscode-resource\\.example/res/ext/dist/webview\\.js"></script>`));
    assert.match(html, /href="https:\/\/file\+\.vscode-resource\.example\/res\/ext\/media\/panel\.css"/);
    assert.match(html, /id="vscode-codicon-stylesheet" href="[^"]*\/res\/ext\/node_modules\/@vscode\/codicons\/dist\/codicon\.css"/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.match(html, /<div id="app"><\/div>/);
  });

  it('refuses a nonce that could break out of the attribute', () => {
    assert.throws(() => inspectorHtml(webview, fakeUri('/ext'), 'short'));
    assert.throws(() => inspectorHtml(webview, fakeUri('/ext'), 'abcdefghijklmnop"><script>'));
  });
});

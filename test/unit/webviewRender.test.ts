/**
 * The webview's canvas logic under Node: color scales, pixel buffers, layout and hit testing.
 * Expected pixels are computed by hand from the definitions (a LUT entry per weight), never by
 * calling the renderer twice.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  DIVERGING_STEPS,
  divergingIndex,
  divergingLut,
  maxAbs,
  mix,
  packColor,
  paletteFromTheme,
  parseColor,
  readableOn,
  SEQUENTIAL_STEPS,
  sequentialIndex,
  sequentialLut,
  unpackColor,
  type Rgba,
} from '../../webview/lib/color';
import { gridLayout, heatmapLayout, highlightBand, hitTestCell, hitTestGrid, labelStride, moveHead, thumbRect } from '../../webview/lib/layout';
import { causalMask, drawCells, drawPattern, fillPixels, pixelTokens, tokenPixels, weightIndex } from '../../webview/lib/raster';

const rgb = (r: number, g: number, b: number, a = 1): Rgba => ({ r, g, b, a });
const RED = rgb(255, 0, 0);
const WHITE = rgb(255, 255, 255);
const BLUE = rgb(0, 0, 255);

describe('colors', () => {
  it('parses the color syntaxes themes use', () => {
    assert.deepEqual(parseColor('#1e1e1e'), rgb(30, 30, 30));
    assert.deepEqual(parseColor('#fff'), rgb(255, 255, 255));
    assert.deepEqual(parseColor(' #FF000080 '), rgb(255, 0, 0, 128 / 255));
    assert.deepEqual(parseColor('#0f08'), rgb(0, 255, 0, 136 / 255));
    assert.deepEqual(parseColor('rgba(90, 93, 94, 0.31)'), rgb(90, 93, 94, 0.31));
    assert.deepEqual(parseColor('rgb(10 20 30 / 50%)'), rgb(10, 20, 30, 0.5));
    assert.equal(parseColor(''), undefined);
    assert.equal(parseColor('var(--x)'), undefined);
    assert.equal(parseColor('#12345'), undefined);
    assert.equal(parseColor('rgb(1, 2)'), undefined);
  });

  it('packs pixels in ImageData byte order (R, G, B, A in memory)', () => {
    const px = new Uint32Array([packColor(rgb(1, 2, 3, 4 / 255))]);
    assert.deepEqual([...new Uint8Array(px.buffer)], [1, 2, 3, 4]);
    assert.deepEqual(unpackColor(px[0]!), rgb(1, 2, 3, 4 / 255));
  });

  it('diverging scale: 0 maps to the neutral color, ±max to the ends, beyond clamps', () => {
    const lut = divergingLut(RED, WHITE, BLUE);
    const mid = (DIVERGING_STEPS - 1) / 2;
    assert.equal(lut.length, DIVERGING_STEPS);
    assert.equal(divergingIndex(0, 5), mid);
    assert.equal(lut[divergingIndex(0, 5)], packColor(WHITE));
    assert.equal(lut[divergingIndex(-5, 5)], packColor(RED));
    assert.equal(lut[divergingIndex(5, 5)], packColor(BLUE));
    assert.equal(divergingIndex(-50, 5), 0);
    assert.equal(divergingIndex(Infinity, 5), DIVERGING_STEPS - 1);
    assert.equal(divergingIndex(NaN, 5), mid);
    assert.equal(divergingIndex(2.5, 5), mid + mid / 2);
    assert.equal(divergingIndex(-2.5, 5), mid - mid / 2);
    // Symmetric, and monotone.
    for (let v = -6; v <= 6; v += 0.25) {
      assert.equal(divergingIndex(v, 5) - mid, mid - divergingIndex(-v, 5));
      assert.ok(divergingIndex(v + 0.25, 5) >= divergingIndex(v, 5));
    }
    // Halfway to +max is halfway from white to blue.
    assert.deepEqual(unpackColor(lut[divergingIndex(2.5, 5)]!), { r: 128, g: 128, b: 255, a: 1 });
  });

  it('sequential scale: 0 → low, 1 → high, clamped, NaN → low', () => {
    const lut = sequentialLut(WHITE, BLUE);
    assert.equal(lut[sequentialIndex(0)], packColor(WHITE));
    assert.equal(lut[sequentialIndex(1)], packColor(BLUE));
    assert.equal(sequentialIndex(2), SEQUENTIAL_STEPS - 1);
    assert.equal(sequentialIndex(-1), 0);
    assert.equal(sequentialIndex(NaN), 0);
    assert.equal(weightIndex(0.5), sequentialIndex(0.5));
  });

  it('maxAbs ignores infinities', () => {
    assert.equal(maxAbs([1, -7, Infinity, 3, NaN]), 7);
    assert.equal(maxAbs([]), 0);
  });

  it('builds the palette from the theme variables, with fallbacks', () => {
    const vars: Record<string, string> = {
      '--vscode-editor-background': '#ffffff',
      '--vscode-editor-foreground': '#000000',
      '--vscode-charts-blue': '#0000ff',
      '--vscode-charts-red': '#ff0000',
    };
    const p = paletteFromTheme((name) => vars[name] ?? '', 'light');
    assert.equal(p.maskedPixel, packColor(WHITE));
    assert.equal(p.divergingLut[(DIVERGING_STEPS - 1) / 2], packColor(WHITE), 'zero is the editor background');
    assert.equal(p.divergingLut[0], packColor(RED));
    assert.equal(p.attentionLut[SEQUENTIAL_STEPS - 1], packColor(BLUE));
    assert.equal(p.attentionLut[0], packColor(mix(WHITE, rgb(0, 0, 0), 0.07)), 'weight 0 is a faint tint, not the mask');
    const dark = paletteFromTheme(() => '', 'dark');
    assert.deepEqual(dark.background, rgb(30, 30, 30));
  });

  it('picks the readable text color', () => {
    assert.deepEqual(readableOn(rgb(0, 0, 80), WHITE, rgb(0, 0, 0)), WHITE);
    assert.deepEqual(readableOn(rgb(250, 250, 200), WHITE, rgb(0, 0, 0)), rgb(0, 0, 0));
  });
});

describe('pixel spans', () => {
  it('tokenPixels is the exact inverse of pixelTokens', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), fc.nat(), (n, size, seed) => {
        const t = seed % n;
        const [s, e] = tokenPixels(t, size, n);
        assert.ok(s < e, 'every token is visible');
        for (let p = 0; p < size; p++) {
          const [a, b] = pixelTokens(p, size, n);
          assert.equal(a <= t && t < b, p >= s && p < e, `n=${n} size=${size} t=${t} p=${p}`);
        }
      }),
    );
  });

  it('pixels partition the tokens when downsampling', () => {
    const covered = new Array(128).fill(0);
    for (let p = 0; p < 48; p++) {
      const [a, b] = pixelTokens(p, 48, 128);
      for (let t = a; t < b; t++) covered[t]++;
    }
    assert.ok(covered.every((c) => c === 1));
  });
});

/** A causal pattern for n tokens: row q puts weight 1 on key (q * 3) % (q + 1). */
function onehotPattern(n: number, heads = 1): Float32Array {
  const data = new Float32Array(heads * n * n);
  for (let h = 0; h < heads; h++) for (let q = 0; q < n; q++) data[h * n * n + q * n + ((q * 3 + h) % (q + 1))] = 1;
  return data;
}

describe('drawPattern', () => {
  const lut = sequentialLut(WHITE, BLUE);
  const MASK = packColor(rgb(9, 9, 9));
  const SENTINEL = packColor(rgb(1, 2, 3));

  it('one pixel per token: each cell is its weight’s LUT entry, the causal mask its own color', () => {
    const n = 6;
    const data = new Float32Array(n * n);
    for (let q = 0; q < n; q++) for (let k = 0; k <= q; k++) data[q * n + k] = (k + 1) / ((q + 1) * (q + 2) / 2);
    const stride = 10;
    const dst = new Uint32Array(stride * 9).fill(SENTINEL);
    drawPattern(data, 0, n, dst, stride, 2, 3, n, lut, MASK);
    for (let y = 0; y < 9; y++) {
      for (let x = 0; x < stride; x++) {
        const inside = x >= 2 && x < 2 + n && y >= 3 && y < 3 + n;
        const got = dst[y * stride + x];
        if (!inside) assert.equal(got, SENTINEL, `wrote outside the thumbnail at ${x},${y}`);
        else {
          const q = y - 3;
          const k = x - 2;
          assert.equal(got, k > q ? MASK : lut[Math.round(data[q * n + k]! * 255)], `cell q=${q} k=${k}`);
        }
      }
    }
  });

  it('a pattern row maps to the right pixel rows when upsampling', () => {
    const n = 5;
    const size = 15; // 3 pixels per token
    const data = onehotPattern(n);
    const dst = new Uint32Array(size * size);
    drawPattern(data, 0, n, dst, size, 0, 0, size, lut, MASK);
    const top = lut[255]!;
    for (let q = 0; q < n; q++) {
      const k = (q * 3) % (q + 1);
      for (let py = 3 * q; py < 3 * q + 3; py++) {
        for (let px = 0; px < size; px++) {
          const hot = px >= 3 * k && px < 3 * k + 3;
          if (hot) assert.equal(dst[py * size + px], top, `row ${q} key ${k} pixel ${px},${py}`);
          else assert.notEqual(dst[py * size + px], top);
        }
      }
    }
  });

  it('uses the head offset and max-pools when downsampling, so a one-cell stripe survives', () => {
    const n = 8;
    const heads = 2;
    const data = new Float32Array(heads * n * n);
    data[1 * n * n + 5 * n + 3] = 0.75; // head 1, query 5, key 3
    data[0 * n * n + 7 * n + 7] = 1; // head 0 must not leak into head 1's thumbnail
    const dst = new Uint32Array(4 * 4);
    drawPattern(data, n * n, n, dst, 4, 0, 0, 4, lut, MASK);
    // Pixel (x=1, y=2) covers queries 4..5 and keys 2..3.
    assert.equal(dst[2 * 4 + 1], lut[191]); // 0.75 · 255 = 191.25
    assert.equal(dst[3 * 4 + 3], lut[0], 'head 0 leaked');
    assert.equal(dst[0 * 4 + 3], MASK, 'a pixel entirely after the diagonal is masked');
  });

  it('draws 144 thumbnails of 128 tokens quickly enough to be interactive', () => {
    const n = 128;
    const data = onehotPattern(n, 12);
    const size = 64;
    const dst = new Uint32Array(size * 12 * size * 12);
    const t0 = performance.now();
    for (let l = 0; l < 12; l++) for (let h = 0; h < 12; h++) drawPattern(data, h * n * n, n, dst, size * 12, h * size, l * size, size, lut, MASK);
    const ms = performance.now() - t0;
    assert.ok(ms < 500, `took ${ms} ms`);
  });
});

describe('drawCells and fillPixels', () => {
  it('maps each value through the index function, masking after the diagonal', () => {
    const lut = divergingLut(RED, WHITE, BLUE);
    const values = new Float32Array([0, 0, 2, -2]);
    const dst = new Uint32Array(4);
    drawCells(values, 0, 2, 2, dst, lut, (v) => divergingIndex(v, 2), causalMask(7));
    assert.deepEqual([...dst], [packColor(WHITE), 7, packColor(BLUE), packColor(RED)]);
    drawCells(values, 0, 2, 2, dst, lut, (v) => divergingIndex(v, 2));
    assert.equal(dst[1], packColor(WHITE), 'no mask: zero is neutral');
    // A non-zero weight after the diagonal is data, not mask.
    drawCells(new Float32Array([0, -1, 0, 0]), 0, 2, 2, dst, lut, (v) => divergingIndex(v, 2), causalMask(7));
    assert.equal(dst[1], lut[divergingIndex(-1, 2)]);
  });

  it('fillPixels clips to the buffer', () => {
    const dst = new Uint32Array(4 * 3);
    fillPixels(dst, 4, 2, 1, 10, 10, 5);
    assert.deepEqual([...dst], [0, 0, 0, 0, 0, 0, 5, 5, 0, 0, 5, 5]);
  });
});

describe('layout', () => {
  it('every thumbnail center hits its head; gaps and labels hit nothing', () => {
    const g = gridLayout({ layers: 12, heads: 12, tokens: 128, availableWidth: 900, dpr: 2 });
    assert.equal(g.width, g.left + 12 * (g.thumb + g.gap));
    for (let layer = 0; layer < 12; layer++) {
      for (let head = 0; head < 12; head++) {
        const r = thumbRect(g, layer, head);
        assert.deepEqual(hitTestGrid(g, r.x + r.w / 2, r.y + r.h / 2), { layer, head });
        assert.deepEqual(hitTestGrid(g, r.x, r.y), { layer, head });
        assert.equal(hitTestGrid(g, r.x + r.w, r.y), undefined, 'gap right of a thumbnail');
      }
    }
    assert.equal(hitTestGrid(g, 1, 1), undefined);
    assert.equal(hitTestGrid(g, g.width + 5, g.top + 1), undefined);
  });

  it('thumbnails fit the width, within bounds, crisp when tokens are few', () => {
    const wide = gridLayout({ layers: 2, heads: 4, tokens: 20, availableWidth: 2000, dpr: 1, maxThumb: 96 });
    assert.equal(wide.thumb % 20, 0);
    assert.ok(wide.thumb <= 96 && wide.thumb >= 72);
    const narrow = gridLayout({ layers: 12, heads: 12, tokens: 128, availableWidth: 200, dpr: 1 });
    assert.equal(narrow.thumb, 24);
    const fit = gridLayout({ layers: 12, heads: 12, tokens: 128, availableWidth: 600, dpr: 1 });
    assert.ok(fit.width <= 600, `${fit.width}`);
  });

  it('highlight band: the row (query) or column (key) of a token, the rest dimmed', () => {
    const r = { x: 10, y: 20, w: 40, h: 40 };
    const q = highlightBand(r, 10, 3, 'query');
    assert.deepEqual(q.band, { x: 10, y: 32, w: 40, h: 4 });
    assert.deepEqual(q.dim, [
      { x: 10, y: 20, w: 40, h: 12 },
      { x: 10, y: 36, w: 40, h: 24 },
    ]);
    const k = highlightBand(r, 10, 0, 'key');
    assert.deepEqual(k.band, { x: 10, y: 20, w: 4, h: 40 });
    assert.deepEqual(k.dim, [{ x: 14, y: 20, w: 36, h: 40 }]);
  });

  it('arrow keys move between heads, clamped at the edges', () => {
    assert.deepEqual(moveHead({ layer: 1, head: 1 }, 'ArrowRight', 3, 4), { layer: 1, head: 2 });
    assert.deepEqual(moveHead({ layer: 1, head: 1 }, 'ArrowLeft', 3, 4), { layer: 1, head: 0 });
    assert.deepEqual(moveHead({ layer: 1, head: 1 }, 'ArrowUp', 3, 4), { layer: 0, head: 1 });
    assert.deepEqual(moveHead({ layer: 2, head: 3 }, 'ArrowDown', 3, 4), { layer: 2, head: 3 });
    assert.deepEqual(moveHead({ layer: 0, head: 0 }, 'ArrowLeft', 3, 4), { layer: 0, head: 0 });
    assert.equal(moveHead({ layer: 0, head: 0 }, 'a', 3, 4), undefined);
  });

  it('heatmap cells: size fits the width within bounds; hit testing', () => {
    const l = heatmapLayout({ rows: 20, cols: 20, availableWidth: 600, rowLabelWidth: 80, colLabelHeight: 60 });
    assert.equal(l.cell, 25);
    assert.deepEqual(hitTestCell(l, 80, 60), { row: 0, col: 0 });
    assert.deepEqual(hitTestCell(l, 80 + 25 * 3 + 24, 60 + 25 * 7 + 1), { row: 7, col: 3 });
    assert.equal(hitTestCell(l, 79, 100), undefined);
    assert.equal(hitTestCell(l, 80 + 25 * 20, 100), undefined);
    assert.equal(heatmapLayout({ rows: 500, cols: 500, availableWidth: 600, rowLabelWidth: 80, colLabelHeight: 60 }).cell, 2);
    assert.equal(labelStride(20, 11), 1);
    assert.equal(labelStride(4, 11), 3);
  });
});

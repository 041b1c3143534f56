// Benchmark page: the webview's real canvas views (AttentionGrid, HeatmapView, TokenStrip) on a
// GPT-2-small-sized run: 12 layers × 12 heads at 128 tokens. Exposes __bench.run() → timings.
import { paletteFromTheme } from '../../webview/lib/color.ts';
import { AttentionGrid } from '../../webview/ui/attentionGrid.ts';
import { HeatmapView } from '../../webview/ui/heatmap.ts';
import { TokenStrip } from '../../webview/ui/tokenStrip.ts';
import { rng } from './fake.js';
import { THEMES } from './themes.js';

const LAYERS = 12;
const HEADS = 12;
const N = 128;

for (const [name, value] of Object.entries(THEMES.dark.vars)) document.documentElement.style.setProperty(name, value);
document.body.classList.add('vscode-dark');
const palette = paletteFromTheme((name) => THEMES.dark.vars[name] ?? '', 'dark');

function patterns() {
  const rand = rng(42);
  const out = [];
  for (let l = 0; l < LAYERS; l++) {
    const data = new Float32Array(HEADS * N * N);
    for (let h = 0; h < HEADS; h++) {
      for (let q = 0; q < N; q++) {
        const row = h * N * N + q * N;
        let sum = 0;
        for (let k = 0; k <= q; k++) {
          const e = Math.exp(rand() * 4 + (k === q - 1 ? 3 : 0));
          data[row + k] = e;
          sum += e;
        }
        for (let k = 0; k <= q; k++) data[row + k] /= sum;
      }
    }
    out.push(data);
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));

globalThis.__bench = {
  async run() {
    const app = document.getElementById('app');
    const tokens = Array.from({ length: N }, (_, i) => [' the', ' cat', '\n', ' sat', ' on', '(', ')', ' mat'][i % 8]);
    const ids = tokens.map((_, i) => 1000 + i);
    const strip = new TokenStrip({ label: 'tokens' });
    strip.setTokens(tokens, ids);
    const grid = new AttentionGrid({ palette: () => palette });
    const heatmap = new HeatmapView({ post: () => {}, palette: () => palette, maxCell: 6 });
    app.append(strip.element, grid.element, heatmap.element);
    const data = patterns();
    const run = { layers: LAYERS, heads: HEADS, tokens: N, patterns: data };

    // Thumbnails: lay out and draw all 144 heads (pixel buffer, one putImageData, labels, overlay).
    grid.setWidth(12 * 76 + 34);
    grid.setPatterns(run);
    await nextFrame();
    const thumbs = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      grid.draw();
      thumbs.push(performance.now() - t0);
    }
    // The same including the frame it lands in (style, layout, paint, composite).
    const thumbFrames = [];
    for (let i = 0; i < 5; i++) {
      await nextFrame();
      const t0 = performance.now();
      grid.draw();
      thumbFrames.push((await nextFrame()) - t0);
    }

    // Large heatmap of one head.
    heatmap.setWidth(900);
    const detail = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      heatmap.setData({
        values: data[i % LAYERS],
        offset: (i % HEADS) * N * N,
        rows: N,
        cols: N,
        rowLabels: tokens,
        colLabels: tokens,
        rowTitle: 'Query',
        colTitle: 'Key',
        valueName: 'Weight',
        scale: { kind: 'attention' },
        causal: true,
        fileName: 'x',
      });
      detail.push(performance.now() - t0);
    }

    // Hover repaint: a token highlighted in every thumbnail and in the large view, the strip shaded.
    const hover = [];
    const hoverFrames = [];
    const weights = new Float32Array(N);
    for (let i = 0; i < 40; i++) {
      await nextFrame();
      const t = (i * 37) % N;
      const dir = i % 2 ? 'key' : 'query';
      const t0 = performance.now();
      grid.setHighlight(t, dir);
      heatmap.setHighlight(t, dir);
      strip.setHovered(t);
      for (let k = 0; k < N; k++) weights[k] = data[3][t * N + k] * 8;
      strip.setShades(weights, palette, palette.accent);
      const t1 = performance.now();
      hover.push(t1 - t0);
      hoverFrames.push((await nextFrame()) - t0);
    }
    return {
      layers: LAYERS,
      heads: HEADS,
      tokens: N,
      thumbnailsMs: +median(thumbs).toFixed(2),
      thumbnailsFirstMs: +thumbs[0].toFixed(2),
      thumbnailsFrameMs: +median(thumbFrames).toFixed(2),
      detailHeatmapMs: +median(detail).toFixed(2),
      hoverRepaintMs: +median(hover).toFixed(2),
      hoverRepaintMaxMs: +Math.max(...hover).toFixed(2),
      hoverFrameMs: +median(hoverFrames).toFixed(2),
      gridCanvas: `${grid.base.width}×${grid.base.height}`,
    };
  },
};

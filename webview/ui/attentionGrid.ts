/**
 * Every head's attention pattern as a thumbnail, layers as rows and heads as columns, on one
 * canvas: thumbnails are drawn into one pixel buffer (one putImageData per layer that arrives).
 * Hover previews a head, click locks it, arrow keys move the lock. Selection outlines and the
 * token highlight live on an overlay canvas, so hovering repaints only rectangles.
 */
import { cssColor, type Palette } from '../lib/color';
import { gridLayout, highlightBand, hitTestGrid, moveHead, thumbRect, type GridLayout, type HeadRef, type HoverDirection } from '../lib/layout';
import { drawPattern, fillPixels } from '../lib/raster';
import { canvasFont, context2d, devicePixelRatio, pngBytes } from './canvas';
import { el } from './dom';

export interface GridPatterns {
  readonly layers: number;
  readonly heads: number;
  readonly tokens: number;
  /** One [head, query, key] array per layer; undefined while it has not arrived. */
  readonly patterns: readonly (Float32Array | undefined)[];
}

export interface AttentionGridOptions {
  readonly palette: () => Palette;
  /** Hovering a thumbnail previews that head (undefined when the pointer leaves). */
  readonly onPreview?: (head: HeadRef | undefined) => void;
  /** Click or arrow keys lock a head. */
  readonly onLock?: (head: HeadRef) => void;
}

export class AttentionGrid {
  readonly element: HTMLElement;
  readonly base: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private layout: GridLayout | undefined;
  private image: ImageData | undefined;
  private pixels: Uint32Array | undefined;
  private data: GridPatterns | undefined;
  /** The arrays drawn for each layer, to draw only what changed. */
  private drawn: (Float32Array | undefined)[] = [];
  private width = 0;
  private maxThumb = 72;
  private selected: HeadRef = { layer: 0, head: 0 };
  private preview: HeadRef | undefined;
  private highlight: { index: number; direction: HoverDirection } | undefined;

  constructor(private readonly options: AttentionGridOptions) {
    this.base = el('canvas', { class: 'grid-canvas', attrs: { role: 'img', 'aria-label': 'Attention patterns of every head', 'data-testid': 'attention-grid' } });
    this.overlay = el('canvas', { class: 'grid-overlay', attrs: { 'aria-hidden': 'true', 'data-testid': 'attention-grid-highlight' } });
    this.element = el('div', { class: 'grid-stage', attrs: { tabindex: '0', role: 'grid', 'aria-label': 'Heads: arrow keys move, Enter locks' } }, this.base, this.overlay);
    this.element.addEventListener('mousemove', (e) => this.setPreview(this.hit(e)));
    this.element.addEventListener('mouseleave', () => this.setPreview(undefined));
    this.element.addEventListener('click', (e) => {
      const head = this.hit(e);
      if (head) this.options.onLock?.(head);
    });
    this.element.addEventListener('keydown', (e) => {
      const g = this.layout;
      if (!g) return;
      const next = moveHead(this.selected, e.key, g.layers, g.heads);
      if (next) {
        e.preventDefault();
        // The keyboard takes over from the pointer: show the locked head, not the hovered one.
        this.setPreview(undefined);
        if (next.layer !== this.selected.layer || next.head !== this.selected.head) this.options.onLock?.(next);
      }
    });
  }

  /** New patterns (a new run, or more layers of the same run). Draws only the layers that changed. */
  setPatterns(data: GridPatterns | undefined): void {
    const prev = this.data;
    this.data = data;
    if (!data) {
      this.layout = undefined;
      this.drawn = [];
      return;
    }
    if (!prev || !this.layout || prev.layers !== data.layers || prev.heads !== data.heads || prev.tokens !== data.tokens) {
      this.draw();
      return;
    }
    for (let layer = 0; layer < data.layers; layer++) {
      if (data.patterns[layer] !== this.drawn[layer]) this.drawLayer(layer, true);
    }
  }

  setWidth(width: number, maxThumb = 72): void {
    const w = Math.floor(width);
    if ((w === this.width && maxThumb === this.maxThumb) || w <= 0) return;
    this.width = w;
    this.maxThumb = maxThumb;
    this.draw();
  }

  setSelected(head: HeadRef): void {
    if (head.layer === this.selected.layer && head.head === this.selected.head) return;
    this.selected = head;
    this.drawOverlay();
  }

  /** Highlights token `index`'s row (query) or column (key) in every thumbnail. Overlay only. */
  setHighlight(index: number | undefined, direction: HoverDirection): void {
    const next = index === undefined ? undefined : { index, direction };
    if (next?.index === this.highlight?.index && next?.direction === this.highlight?.direction) return;
    this.highlight = next;
    this.drawOverlay();
  }

  /** Full repaint: layout, every thumbnail, labels, overlay. */
  draw(): void {
    const d = this.data;
    if (!d || this.width <= 0) return;
    const p = this.options.palette();
    const dpr = devicePixelRatio();
    const g = gridLayout({ layers: d.layers, heads: d.heads, tokens: d.tokens, availableWidth: this.width, dpr, maxThumb: this.maxThumb });
    this.layout = g;
    for (const c of [this.base, this.overlay]) {
      if (c.width !== g.width) c.width = g.width;
      if (c.height !== g.height) c.height = g.height;
      c.style.width = `${g.width / dpr}px`;
      c.style.height = `${g.height / dpr}px`;
    }
    const ctx = context2d(this.base);
    if (!this.image || this.image.width !== g.width || this.image.height !== g.height) {
      this.image = ctx.createImageData(g.width, g.height);
      this.pixels = new Uint32Array(this.image.data.buffer);
    }
    this.pixels!.fill(p.backgroundPixel);
    this.drawn = [];
    for (let layer = 0; layer < d.layers; layer++) this.drawLayer(layer, false);
    ctx.putImageData(this.image, 0, 0);
    this.drawLabels(ctx, p, g);
    this.drawOverlay();
  }

  /** Draws one layer's thumbnails into the buffer; `put` copies just that band to the canvas. */
  private drawLayer(layer: number, put: boolean): void {
    const d = this.data;
    const g = this.layout;
    if (!d || !g || !this.pixels || !this.image) return;
    const p = this.options.palette();
    const data = d.patterns[layer];
    const n = d.tokens;
    for (let head = 0; head < d.heads; head++) {
      const r = thumbRect(g, layer, head);
      if (data && data.length >= (head + 1) * n * n) {
        drawPattern(data, head * n * n, n, this.pixels, g.width, r.x, r.y, g.thumb, p.attentionLut, p.maskedPixel);
      } else {
        fillPixels(this.pixels, g.width, r.x, r.y, r.w, r.h, p.attentionLut[0]!);
      }
    }
    this.drawn[layer] = data;
    if (put) {
      const y = thumbRect(g, layer, 0).y;
      context2d(this.base).putImageData(this.image, 0, 0, g.left, y, g.width - g.left, g.thumb);
    }
  }

  private drawLabels(ctx: CanvasRenderingContext2D, p: Palette, g: GridLayout): void {
    const dpr = g.dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.font = canvasFont(Math.round(10 * dpr), p.font);
    ctx.fillStyle = cssColor(p.muted);
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (let layer = 0; layer < g.layers; layer++) {
      const r = thumbRect(g, layer, 0);
      ctx.fillText(`L${layer}`, g.left - 6 * dpr, r.y + r.h / 2);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    // With many heads, label every other one.
    const step = g.thumb / dpr < 22 ? 2 : 1;
    for (let head = 0; head < g.heads; head += step) {
      const r = thumbRect(g, 0, head);
      ctx.fillText(`H${head}`, r.x + r.w / 2, g.top - 4 * dpr);
    }
  }

  /** Outlines (locked and previewed head) and the token highlight dimming every thumbnail. */
  drawOverlay(): void {
    const g = this.layout;
    if (!g) return;
    const p = this.options.palette();
    const ctx = context2d(this.overlay);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    const h = this.highlight;
    if (h && h.index >= 0 && h.index < g.tokens) {
      ctx.fillStyle = cssColor(p.background, 0.75);
      for (let layer = 0; layer < g.layers; layer++) {
        for (let head = 0; head < g.heads; head++) {
          for (const r of highlightBand(thumbRect(g, layer, head), g.tokens, h.index, h.direction).dim) ctx.fillRect(r.x, r.y, r.w, r.h);
        }
      }
    }
    const outline = (head: HeadRef, color: string, width: number) => {
      const r = thumbRect(g, head.layer, head.head);
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.strokeRect(r.x - width / 2 - 1, r.y - width / 2 - 1, r.w + width + 2, r.h + width + 2);
    };
    if (this.preview && (this.preview.layer !== this.selected.layer || this.preview.head !== this.selected.head)) {
      outline(this.preview, cssColor(p.hover, 0.8), Math.max(1, Math.round(g.dpr)));
    }
    if (this.selected.layer < g.layers && this.selected.head < g.heads) {
      outline(this.selected, cssColor(p.focus), Math.round((p.highContrast ? 3 : 2) * g.dpr));
    }
  }

  private hit(e: MouseEvent): HeadRef | undefined {
    const g = this.layout;
    if (!g) return undefined;
    const rect = this.base.getBoundingClientRect();
    return hitTestGrid(g, (e.clientX - rect.left) * g.dpr, (e.clientY - rect.top) * g.dpr);
  }

  private setPreview(head: HeadRef | undefined): void {
    if (head?.layer === this.preview?.layer && head?.head === this.preview?.head) return;
    this.preview = head;
    this.element.classList.toggle('pointing', head !== undefined);
    this.drawOverlay();
    this.options.onPreview?.(head);
  }

  /** The grid (thumbnails, labels, lock outline) as PNG bytes. */
  async png(background: string): Promise<Uint8Array> {
    const out = document.createElement('canvas');
    out.width = this.base.width;
    out.height = this.base.height;
    const ctx = context2d(out);
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(this.base, 0, 0);
    return pngBytes(out);
  }
}

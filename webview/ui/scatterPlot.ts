/**
 * A scatter plot on canvas: axes through zero with ticks, an optional unit circle (the complex
 * plane), points colored by sign or by the caller, labels for the marked points, a hover tooltip,
 * click to pick a point, and PNG / CSV export. Hover repaints only the overlay.
 */
import { cssColor, type Palette, type Rgba } from '../lib/color';
import { formatNumber } from '../lib/format';
import { nearestPoint, niceTicks, scatterLayout, toPixel, type Domain, type ScatterLayout } from '../lib/scatter';
import { canvasFont, context2d, devicePixelRatio, pngBytes, sizeCanvas } from './canvas';
import { changedWidth, chartHeader, clearCanvas, paintBackground, setChartTitle, showTooltip, tooltipElement, tooltipRow, type ChartHeader } from './chartParts';
import { el, show } from './dom';
import type { Post } from './vscode';

export interface ScatterData {
  readonly xs: ArrayLike<number>;
  readonly ys: ArrayLike<number>;
  readonly domain: Domain;
  readonly equalAspect?: boolean;
  readonly xTitle: string;
  readonly yTitle: string;
  /** Draw the unit circle (eigenvalues scaled by the largest modulus). */
  readonly unitCircle?: boolean;
  /** A name per point: the tooltip's first line, and the label of marked points (and of all, when few). */
  readonly names?: readonly string[];
  /** A point's color; default by the sign of x. */
  readonly color?: (i: number, p: Palette) => Rgba;
  /** Tooltip lines of a point. */
  readonly describe: (i: number) => readonly (readonly [string, string])[];
  readonly csv: () => string;
  /** Export file name without extension. */
  readonly fileName: string;
}

export interface ScatterOptions {
  readonly post: Post;
  readonly palette: () => Palette;
  /** Height as a fraction of the width (capped by maxHeight). */
  readonly aspect?: number;
  readonly maxHeight?: number;
  readonly onPick?: (i: number) => void;
}

const MARGIN = { left: 40, right: 14, top: 12, bottom: 34 };
const LABEL_ALL_BELOW = 25;

export class ScatterPlot {
  readonly element: HTMLElement;
  private readonly header: ChartHeader;
  private readonly base: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly tooltip: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly emptyEl: HTMLElement;
  private data: ScatterData | undefined;
  private layout: ScatterLayout | undefined;
  private width = 0;
  private hovered: number | undefined;
  private marked: { primary?: number; secondary?: number } = {};

  constructor(private readonly options: ScatterOptions) {
    this.header = chartHeader(
      () => void this.exportPng(),
      () => this.exportCsv(),
    );
    this.actions = this.header.actions;
    this.base = el('canvas', { class: 'heatmap-canvas', attrs: { role: 'img' } });
    this.overlay = el('canvas', { class: 'heatmap-overlay', attrs: { 'aria-hidden': 'true' } });
    this.tooltip = tooltipElement();
    this.stage = el('div', { class: 'heatmap-stage' }, this.base, this.overlay, this.tooltip);
    this.emptyEl = el('div', { class: 'empty-note' });
    this.element = el('section', { class: 'heatmap scatter' }, this.header.element, this.emptyEl, this.stage);
    this.stage.addEventListener('mousemove', (e) => this.onMove(e));
    this.stage.addEventListener('mouseleave', () => this.onMove(undefined));
    if (options.onPick) {
      this.stage.classList.add('clickable');
      this.stage.addEventListener('click', (e) => {
        const i = this.hit(e);
        if (i !== undefined) options.onPick?.(i);
      });
    }
  }

  setTitle(title: string, subtitle = ''): void {
    setChartTitle(this.header, this.base, title, subtitle);
  }

  setData(data: ScatterData | undefined, emptyText = ''): void {
    this.data = data;
    this.hovered = undefined;
    this.tooltip.hidden = true;
    this.emptyEl.textContent = emptyText;
    show(this.emptyEl, !data && emptyText.length > 0);
    show(this.stage, !!data);
    show(this.actions, !!data);
    this.draw();
  }

  setWidth(width: number): void {
    const w = changedWidth(this.width, width);
    if (w === undefined) return;
    this.width = w;
    this.draw();
  }

  /** Marks points (the selected head; its partner). Redraws the labels. */
  setMarked(primary: number | undefined, secondary?: number): void {
    if (primary === this.marked.primary && secondary === this.marked.secondary) return;
    this.marked = { primary, secondary };
    this.draw();
  }

  draw(): void {
    const d = this.data;
    if (!d || this.width <= 0) return;
    const p = this.options.palette();
    const dpr = devicePixelRatio();
    let width = Math.min(this.width, 560);
    let height = Math.min(this.options.maxHeight ?? 420, Math.round(width * (this.options.aspect ?? 0.8)));
    let l = scatterLayout({ width, height, domain: d.domain, margin: MARGIN, equalAspect: d.equalAspect });
    if (d.equalAspect) {
      // Crop the canvas to the plot box, so the axis titles sit next to it.
      width = Math.ceil(l.width + MARGIN.left + MARGIN.right);
      height = Math.ceil(l.height + MARGIN.top + MARGIN.bottom);
      l = scatterLayout({ width, height, domain: d.domain, margin: MARGIN, equalAspect: true });
    }
    this.layout = l;
    sizeCanvas(this.base, width, height, dpr);
    sizeCanvas(this.overlay, width, height, dpr);
    const ctx = context2d(this.base);
    paintBackground(ctx, dpr, p.background, width, height);
    this.drawAxes(ctx, p, l, d);
    // Points: unmarked first, marked on top.
    const order = [...Array(d.xs.length).keys()].filter((i) => i !== this.marked.primary && i !== this.marked.secondary);
    for (const i of [...order, this.marked.secondary, this.marked.primary]) {
      if (i === undefined || i >= d.xs.length) continue;
      const x = d.xs[i]!;
      const y = d.ys[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const { px, py } = toPixel(l, x, y);
      const color = d.color?.(i, p) ?? (x >= 0 ? p.accent : p.negative);
      const marked = i === this.marked.primary || i === this.marked.secondary;
      ctx.beginPath();
      ctx.arc(px, py, marked ? 5 : 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = cssColor(color, marked ? 1 : 0.72);
      ctx.fill();
      if (marked) {
        ctx.lineWidth = i === this.marked.primary ? 2 : 1.5;
        ctx.strokeStyle = cssColor(i === this.marked.primary ? p.focus : p.hover);
        ctx.stroke();
      }
    }
    // Labels: every point when there are few, else only the marked ones (those first); a label that
    // would overlap one already drawn tries the other side of its point, then is left out.
    if (d.names) {
      ctx.font = canvasFont(10, p.monoFont);
      ctx.textBaseline = 'bottom';
      const few = d.xs.length < LABEL_ALL_BELOW;
      const placed: { x: number; y: number; w: number; h: number }[] = [];
      const overlaps = (r: { x: number; y: number; w: number; h: number }) => placed.some((q) => r.x < q.x + q.w && q.x < r.x + r.w && r.y < q.y + q.h && q.y < r.y + r.h);
      const marked = [this.marked.primary, this.marked.secondary].filter((i): i is number => i !== undefined && i < d.xs.length);
      const rest = few ? [...Array(d.xs.length).keys()].filter((i) => !marked.includes(i)) : [];
      for (const i of [...marked, ...rest]) {
        const x = d.xs[i]!;
        const y = d.ys[i]!;
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        const { px, py } = toPixel(l, x, y);
        const text = d.names[i] ?? '';
        const w = ctx.measureText(text).width;
        const right = { x: px + 5, y: py - 14, w, h: 12 };
        const left = { x: px - 5 - w, y: py - 14, w, h: 12 };
        const fitsRight = right.x + w <= width - 2;
        const spot = [fitsRight ? right : left, fitsRight ? left : right].find((r) => !overlaps(r) && r.x >= 0 && r.x + r.w <= width);
        const isMarked = marked.includes(i);
        if (!spot && !isMarked) continue;
        const r = spot ?? (fitsRight ? right : left);
        placed.push(r);
        ctx.textAlign = 'left';
        ctx.fillStyle = cssColor(isMarked ? p.foreground : p.muted);
        ctx.fillText(text, r.x, py - 3);
      }
    }
    this.drawOverlay();
  }

  private drawAxes(ctx: CanvasRenderingContext2D, p: Palette, l: ScatterLayout, d: ScatterData): void {
    ctx.lineWidth = 1;
    ctx.strokeStyle = cssColor(p.muted, 0.35);
    ctx.strokeRect(l.left - 0.5, l.top - 0.5, l.width + 1, l.height + 1);
    ctx.font = canvasFont(10, p.font);
    ctx.fillStyle = cssColor(p.muted);
    // Ticks and light gridlines.
    const xt = niceTicks(d.domain.x[0], d.domain.x[1], 4);
    const yt = niceTicks(d.domain.y[0], d.domain.y[1], 4);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of xt) {
      const { px } = toPixel(l, t, 0);
      ctx.strokeStyle = cssColor(p.muted, t === 0 ? 0.55 : 0.14);
      ctx.beginPath();
      ctx.moveTo(Math.round(px) + 0.5, l.top);
      ctx.lineTo(Math.round(px) + 0.5, l.top + l.height);
      ctx.stroke();
      ctx.fillText(formatNumber(t, 2), px, l.top + l.height + 3);
    }
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of yt) {
      const { py } = toPixel(l, 0, t);
      ctx.strokeStyle = cssColor(p.muted, t === 0 ? 0.55 : 0.14);
      ctx.beginPath();
      ctx.moveTo(l.left, Math.round(py) + 0.5);
      ctx.lineTo(l.left + l.width, Math.round(py) + 0.5);
      ctx.stroke();
      ctx.fillText(formatNumber(t, 2), l.left - 4, py);
    }
    if (d.unitCircle) {
      const c = toPixel(l, 0, 0);
      const r = toPixel(l, 1, 0).px - c.px;
      ctx.strokeStyle = cssColor(p.muted, 0.5);
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.arc(c.px, c.py, r, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.font = canvasFont(11, p.font, '600');
    ctx.fillStyle = cssColor(p.foreground);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.fillText(`${d.xTitle} →`, l.left + l.width / 2, l.top + l.height + 30);
    ctx.save();
    ctx.translate(11, l.top + l.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'middle';
    ctx.fillText(`${d.yTitle} →`, 0, 0);
    ctx.restore();
  }

  private drawOverlay(): void {
    const l = this.layout;
    const d = this.data;
    if (!l || !d) return;
    const p = this.options.palette();
    const dpr = devicePixelRatio();
    const ctx = context2d(this.overlay);
    clearCanvas(ctx);
    const i = this.hovered;
    if (i === undefined) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const { px, py } = toPixel(l, d.xs[i]!, d.ys[i]!);
    ctx.strokeStyle = cssColor(p.hover);
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.arc(px, py, 7, 0, 2 * Math.PI);
    ctx.stroke();
  }

  private hit(e: MouseEvent): number | undefined {
    const l = this.layout;
    const d = this.data;
    if (!l || !d) return undefined;
    const rect = this.base.getBoundingClientRect();
    return nearestPoint(l, d.xs, d.ys, e.clientX - rect.left, e.clientY - rect.top, 9);
  }

  private onMove(e: MouseEvent | undefined): void {
    const i = e ? this.hit(e) : undefined;
    if (i !== this.hovered) {
      this.hovered = i;
      this.drawOverlay();
    }
    const d = this.data;
    if (i === undefined || !d || !e) {
      this.tooltip.hidden = true;
      return;
    }
    showTooltip(this.tooltip, [...(d.names ? [tooltipRow('', d.names[i] ?? '')] : []), ...d.describe(i).map(([k, v]) => tooltipRow(k, v))], e);
  }

  async exportPng(): Promise<void> {
    if (!this.data) return;
    this.options.post({ type: 'save', fileName: `${this.data.fileName}.png`, data: await pngBytes(this.base) });
  }

  exportCsv(): void {
    if (!this.data) return;
    this.options.post({ type: 'save', fileName: `${this.data.fileName}.csv`, data: this.data.csv() });
  }
}

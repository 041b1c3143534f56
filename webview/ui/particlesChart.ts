/**
 * A small line chart on canvas for the Particles tab: one or more series over snapshots (layers) or
 * over time, with ticks, a legend, a marker at the current x (the layer slider, the animation
 * frame), a hover line with every series' value, click to pick an x, and PNG / CSV export. The
 * other charts plot one value per item; this one plots curves.
 */
import { cssColor, type Palette, type Rgba } from '../lib/color';
import { formatNumber } from '../lib/format';
import { nearestIndex, seriesExtent, type Series } from '../lib/particles';
import { fromPixel, niceTicks, scatterLayout, toPixel, type ScatterLayout } from '../lib/scatter';
import { canvasFont, context2d, devicePixelRatio, pngBytes, sizeCanvas } from './canvas';
import { changedWidth, chartHeader, clearCanvas, paintBackground, setChartTitle, showTooltip, tooltipElement, tooltipRow, type ChartHeader } from './chartParts';
import { el, show } from './dom';
import type { Post } from './vscode';

export interface LineData {
  readonly xs: readonly number[];
  readonly series: readonly Series[];
  readonly xTitle: string;
  /** How the tooltip names x value i (e.g. the snapshot's label); default the number. */
  readonly xLabel?: (i: number) => string;
  /** Only whole-number x ticks (snapshots). */
  readonly integerX?: boolean;
  /** Keep 0 on the y axis (counts, ranks). */
  readonly zero?: boolean;
  readonly csv: () => string;
  readonly fileName: string;
}

export interface LineChartOptions {
  readonly post: Post;
  readonly palette: () => Palette;
  /** Clicking picks the x index nearest to the pointer. */
  readonly onPick?: (index: number) => void;
  readonly height?: number;
}

const MARGIN = { left: 46, right: 12, top: 10, bottom: 30 };

/** Series colors: the theme's accent, then its negative color, then two fixed ones. */
function seriesColor(k: number, p: Palette): Rgba {
  const fixed: Rgba[] = [p.accent, p.negative, { r: 89, g: 161, b: 79, a: 1 }, { r: 242, g: 142, b: 43, a: 1 }];
  return fixed[k % fixed.length]!;
}

export class LineChart {
  readonly element: HTMLElement;
  private readonly header: ChartHeader;
  private readonly base: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly tooltip: HTMLElement;
  private readonly stage: HTMLElement;
  private data: LineData | undefined;
  private layout: ScatterLayout | undefined;
  private width = 0;
  private marker: number | undefined;
  private hovered: number | undefined;

  constructor(private readonly options: LineChartOptions) {
    this.header = chartHeader(
      () => void this.exportPng(),
      () => this.exportCsv(),
    );
    this.base = el('canvas', { class: 'heatmap-canvas', attrs: { role: 'img' } });
    this.overlay = el('canvas', { class: 'heatmap-overlay', attrs: { 'aria-hidden': 'true' } });
    this.tooltip = tooltipElement();
    this.stage = el('div', { class: 'heatmap-stage' }, this.base, this.overlay, this.tooltip);
    this.element = el('section', { class: 'heatmap line-chart' }, this.header.element, this.stage);
    this.stage.addEventListener('mousemove', (e) => this.onMove(e));
    this.stage.addEventListener('mouseleave', () => this.onMove(undefined));
    if (options.onPick) {
      this.stage.classList.add('clickable');
      this.stage.addEventListener('click', (e) => {
        const i = this.indexAt(e);
        if (i !== undefined) options.onPick?.(i);
      });
    }
  }

  setTitle(title: string, subtitle = ''): void {
    setChartTitle(this.header, this.base, title, subtitle);
  }

  setData(data: LineData | undefined): void {
    this.data = data;
    this.hovered = undefined;
    this.tooltip.hidden = true;
    show(this.stage, !!data);
    show(this.header.actions, !!data);
    this.draw();
  }

  setWidth(width: number): void {
    const w = changedWidth(this.width, width);
    if (w === undefined) return;
    this.width = w;
    this.draw();
  }

  /** A vertical marker at x index `i` (undefined: none). Overlay only. */
  setMarker(i: number | undefined): void {
    if (i === this.marker) return;
    this.marker = i;
    this.drawOverlay();
  }

  draw(): void {
    const d = this.data;
    if (!d || this.width <= 0 || d.xs.length === 0) return;
    const p = this.options.palette();
    const dpr = devicePixelRatio();
    const width = Math.min(this.width, 560);
    const height = this.options.height ?? 170;
    const [y0, y1] = seriesExtent(d.series, d.zero);
    const x0 = d.xs[0]!;
    const x1 = d.xs[d.xs.length - 1]!;
    const l = scatterLayout({ width, height, domain: { x: [x0, x1 > x0 ? x1 : x0 + 1], y: [y0, y1] }, margin: MARGIN });
    this.layout = l;
    sizeCanvas(this.base, width, height, dpr);
    sizeCanvas(this.overlay, width, height, dpr);
    const ctx = context2d(this.base);
    paintBackground(ctx, dpr, p.background, width, height);
    ctx.lineWidth = 1;
    ctx.strokeStyle = cssColor(p.muted, 0.35);
    ctx.strokeRect(l.left - 0.5, l.top - 0.5, l.width + 1, l.height + 1);
    ctx.font = canvasFont(10, p.font);
    ctx.fillStyle = cssColor(p.muted);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of niceTicks(y0, y1, 3)) {
      const { py } = toPixel(l, x0, t);
      ctx.strokeStyle = cssColor(p.muted, 0.12);
      ctx.beginPath();
      ctx.moveTo(l.left, Math.round(py) + 0.5);
      ctx.lineTo(l.left + l.width, Math.round(py) + 0.5);
      ctx.stroke();
      ctx.fillText(formatNumber(t, 3), l.left - 4, py);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of niceTicks(x0, x1, Math.max(2, Math.floor(l.width / 60)))) {
      if (d.integerX && !Number.isInteger(t)) continue;
      const { px } = toPixel(l, t, y0);
      ctx.fillText(formatNumber(t, 3), px, l.top + l.height + 3);
    }
    ctx.font = canvasFont(10, p.font, '600');
    ctx.fillStyle = cssColor(p.foreground);
    ctx.textBaseline = 'bottom';
    ctx.fillText(`${d.xTitle} →`, l.left + l.width / 2, height - 1);
    // The curves, with dots when there are few points.
    d.series.forEach((s, k) => {
      const color = seriesColor(k, p);
      ctx.strokeStyle = cssColor(color);
      ctx.fillStyle = cssColor(color);
      ctx.lineWidth = p.highContrast ? 2 : 1.5;
      ctx.beginPath();
      let pen = false;
      s.values.forEach((v, i) => {
        if (!Number.isFinite(v) || i >= d.xs.length) {
          pen = false;
          return;
        }
        const q = toPixel(l, d.xs[i]!, v);
        if (pen) ctx.lineTo(q.px, q.py);
        else ctx.moveTo(q.px, q.py);
        pen = true;
      });
      ctx.stroke();
      if (d.xs.length <= 40)
        s.values.forEach((v, i) => {
          if (!Number.isFinite(v) || i >= d.xs.length) return;
          const q = toPixel(l, d.xs[i]!, v);
          ctx.beginPath();
          ctx.arc(q.px, q.py, 2.2, 0, 2 * Math.PI);
          ctx.fill();
        });
    });
    // Legend (only with several series): top right, one swatch per series.
    if (d.series.length > 1) {
      ctx.font = canvasFont(10, p.font);
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      let x = l.left + l.width - 4;
      for (let k = d.series.length - 1; k >= 0; k--) {
        const name = d.series[k]!.name;
        ctx.fillStyle = cssColor(p.foreground, 0.85);
        ctx.fillText(name, x, l.top + 8);
        x -= ctx.measureText(name).width + 4;
        ctx.fillStyle = cssColor(seriesColor(k, p));
        ctx.fillRect(x - 10, l.top + 5, 10, 6);
        x -= 18;
      }
    }
    this.drawOverlay();
  }

  private drawOverlay(): void {
    const l = this.layout;
    const d = this.data;
    if (!l || !d) return;
    const p = this.options.palette();
    const dpr = devicePixelRatio();
    const ctx = context2d(this.overlay);
    clearCanvas(ctx);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    for (const [i, color, width] of [
      [this.marker, p.focus, 1.5],
      [this.hovered, p.hover, 1],
    ] as const) {
      if (i === undefined || i >= d.xs.length) continue;
      const { px } = toPixel(l, d.xs[i]!, 0);
      ctx.strokeStyle = cssColor(color, 0.8);
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.moveTo(Math.round(px) + 0.5, l.top);
      ctx.lineTo(Math.round(px) + 0.5, l.top + l.height);
      ctx.stroke();
    }
  }

  private indexAt(e: MouseEvent): number | undefined {
    const l = this.layout;
    const d = this.data;
    if (!l || !d) return undefined;
    const rect = this.base.getBoundingClientRect();
    const px = e.clientX - rect.left;
    if (px < l.left - 6 || px > l.left + l.width + 6) return undefined;
    return nearestIndex(d.xs, fromPixel(l, px, 0).x);
  }

  private onMove(e: MouseEvent | undefined): void {
    const i = e ? this.indexAt(e) : undefined;
    if (i !== this.hovered) {
      this.hovered = i;
      this.drawOverlay();
    }
    const d = this.data;
    if (i === undefined || !d || !e) {
      this.tooltip.hidden = true;
      return;
    }
    const x = d.xLabel ? d.xLabel(i) : formatNumber(d.xs[i]!, 4);
    showTooltip(this.tooltip, [tooltipRow(d.xTitle, x), ...d.series.map((s) => tooltipRow(s.name, formatNumber(s.values[i] ?? NaN, 4)))], e);
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

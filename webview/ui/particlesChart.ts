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
import { canvasFont, context2d, devicePixelRatio, sizeCanvas } from './canvas';
import { ChartFrame, layeredCanvases, saveCsv, savePng } from './chartFrame';
import { clearOverlay, drawPlotBox, drawXTicks, drawYTicks, paintBackground, pointerOn, tooltipRow } from './chartParts';
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
  private readonly frame: ChartFrame;
  private readonly base: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private data: LineData | undefined;
  private layout: ScatterLayout | undefined;
  private marker: number | undefined;
  private hovered: number | undefined;

  constructor(private readonly options: LineChartOptions) {
    ({ base: this.base, overlay: this.overlay } = layeredCanvases());
    this.frame = new ChartFrame({
      exportPng: () => void this.exportPng(),
      exportCsv: () => this.exportCsv(),
      canvases: [this.base, this.overlay],
      sectionClass: 'line-chart',
    });
    this.element = this.frame.element;
    this.frame.onHover((e) => this.onMove(e));
    this.frame.onPick((e) => this.indexAt(e), options.onPick);
  }

  setTitle(title: string, subtitle = ''): void {
    this.frame.setTitle(title, subtitle);
  }

  setData(data: LineData | undefined): void {
    this.data = data;
    this.hovered = undefined;
    this.frame.setData(!!data);
    this.draw();
  }

  setWidth(width: number): void {
    if (this.frame.setWidth(width)) this.draw();
  }

  /** A vertical marker at x index `i` (undefined: none). Overlay only. */
  setMarker(i: number | undefined): void {
    if (i === this.marker) return;
    this.marker = i;
    this.drawOverlay();
  }

  draw(): void {
    const d = this.data;
    if (!d || this.frame.width <= 0 || d.xs.length === 0) return;
    const p = this.options.palette();
    const dpr = devicePixelRatio();
    const width = Math.min(this.frame.width, 560);
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
    drawPlotBox(ctx, p, l);
    // Gridlines across only; x gets bare labels (whole numbers only for snapshots).
    drawYTicks(ctx, p, l, niceTicks(y0, y1, 3), { grid: 0.12, digits: 3 });
    const xTicks = niceTicks(x0, x1, Math.max(2, Math.floor(l.width / 60)));
    drawXTicks(ctx, p, l, d.integerX ? xTicks.filter((t) => Number.isInteger(t)) : xTicks, { digits: 3 });
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
    const ctx = clearOverlay(this.overlay);
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
    const px = pointerOn(this.base, e).x;
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
    this.frame.setTooltip(e, i === undefined || !d ? undefined : [tooltipRow(d.xTitle, d.xLabel ? d.xLabel(i) : formatNumber(d.xs[i]!, 4)), ...d.series.map((s) => tooltipRow(s.name, formatNumber(s.values[i] ?? NaN, 4)))]);
  }

  async exportPng(): Promise<void> {
    if (this.data) await savePng(this.options.post, this.data.fileName, this.base);
  }

  exportCsv(): void {
    if (this.data) saveCsv(this.options.post, this.data.fileName, this.data.csv());
  }
}

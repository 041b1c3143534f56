/**
 * A scatter plot on canvas: axes through zero with ticks, an optional unit circle (the complex
 * plane), points colored by sign or by the caller, labels for the marked points, a hover tooltip,
 * click to pick a point, and PNG / CSV export. Hover repaints only the overlay.
 */
import { cssColor, type Palette, type Rgba } from '../lib/color';
import { niceTicks, scatterLayout, toPixel, type Domain, type ScatterLayout } from '../lib/scatter';
import { canvasFont, context2d, devicePixelRatio, sizeCanvas } from './canvas';
import { ChartFrame, layeredCanvases, saveCsv, savePng } from './chartFrame';
import { AXES_MARGIN, clearOverlay, drawAxisTitles, drawPlotBox, drawXTicks, drawYTicks, paintBackground, pointUnder, ringPoint, tooltipRow } from './chartParts';
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

const LABEL_ALL_BELOW = 25;

export class ScatterPlot {
  readonly element: HTMLElement;
  private readonly frame: ChartFrame;
  private readonly base: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private data: ScatterData | undefined;
  private layout: ScatterLayout | undefined;
  private hovered: number | undefined;
  private marked: { primary?: number; secondary?: number } = {};

  constructor(private readonly options: ScatterOptions) {
    ({ base: this.base, overlay: this.overlay } = layeredCanvases());
    this.frame = new ChartFrame({
      exportPng: () => void this.exportPng(),
      exportCsv: () => this.exportCsv(),
      canvases: [this.base, this.overlay],
      sectionClass: 'scatter',
      emptyNote: true,
    });
    this.element = this.frame.element;
    this.frame.onHover((e) => this.onMove(e));
    this.frame.onPick((e) => this.hit(e), options.onPick);
  }

  setTitle(title: string, subtitle = ''): void {
    this.frame.setTitle(title, subtitle);
  }

  setData(data: ScatterData | undefined, emptyText = ''): void {
    this.data = data;
    this.hovered = undefined;
    this.frame.setData(!!data, emptyText);
    this.draw();
  }

  setWidth(width: number): void {
    if (this.frame.setWidth(width)) this.draw();
  }

  /** Marks points (the selected head; its partner). Redraws the labels. */
  setMarked(primary: number | undefined, secondary?: number): void {
    if (primary === this.marked.primary && secondary === this.marked.secondary) return;
    this.marked = { primary, secondary };
    this.draw();
  }

  draw(): void {
    const d = this.data;
    if (!d || this.frame.width <= 0) return;
    const p = this.options.palette();
    const dpr = devicePixelRatio();
    let width = Math.min(this.frame.width, 560);
    let height = Math.min(this.options.maxHeight ?? 420, Math.round(width * (this.options.aspect ?? 0.8)));
    let l = scatterLayout({ width, height, domain: d.domain, margin: AXES_MARGIN, equalAspect: d.equalAspect });
    if (d.equalAspect) {
      // Crop the canvas to the plot box, so the axis titles sit next to it.
      width = Math.ceil(l.width + AXES_MARGIN.left + AXES_MARGIN.right);
      height = Math.ceil(l.height + AXES_MARGIN.top + AXES_MARGIN.bottom);
      l = scatterLayout({ width, height, domain: d.domain, margin: AXES_MARGIN, equalAspect: true });
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
    drawPlotBox(ctx, p, l);
    // Ticks and light gridlines, the axes through zero stronger.
    const grid = { grid: 0.14, zeroGrid: 0.55, digits: 2 };
    drawXTicks(ctx, p, l, niceTicks(d.domain.x[0], d.domain.x[1], 4), grid);
    drawYTicks(ctx, p, l, niceTicks(d.domain.y[0], d.domain.y[1], 4), grid);
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
    drawAxisTitles(ctx, p, l, d.xTitle, d.yTitle);
  }

  private drawOverlay(): void {
    const l = this.layout;
    const d = this.data;
    if (!l || !d) return;
    const p = this.options.palette();
    const ctx = clearOverlay(this.overlay);
    const i = this.hovered;
    if (i === undefined) return;
    const { px, py } = toPixel(l, d.xs[i]!, d.ys[i]!);
    ringPoint(ctx, px, py, p.hover, 1.5);
  }

  private hit(e: MouseEvent): number | undefined {
    const l = this.layout;
    const d = this.data;
    if (!l || !d) return undefined;
    return pointUnder(this.base, e, l, d.xs, d.ys);
  }

  private onMove(e: MouseEvent | undefined): void {
    const i = e ? this.hit(e) : undefined;
    if (i !== this.hovered) {
      this.hovered = i;
      this.drawOverlay();
    }
    const d = this.data;
    this.frame.setTooltip(e, i === undefined || !d ? undefined : [...(d.names ? [tooltipRow('', d.names[i] ?? '')] : []), ...d.describe(i).map(([k, v]) => tooltipRow(k, v))]);
  }

  async exportPng(): Promise<void> {
    if (this.data) await savePng(this.options.post, this.data.fileName, this.base);
  }

  exportCsv(): void {
    if (this.data) saveCsv(this.options.post, this.data.fileName, this.data.csv());
  }
}

/**
 * A horizontal bar chart on canvas for signed values: one row per bar, the label on the left, bars
 * growing right (positive) or left (negative) from a zero line, the value at the bar's end. Hover
 * shows a tooltip, click picks a bar, PNG / CSV export.
 */
import { cssColor, type Palette } from '../lib/color';
import { formatNumber } from '../lib/format';
import { canvasFont, context2d, devicePixelRatio, sizeCanvas } from './canvas';
import { ChartFrame, saveCsv, savePng } from './chartFrame';
import { paintBackground, pointerOn, tooltipRow } from './chartParts';
import { el } from './dom';
import type { Post } from './vscode';

export interface BarItem {
  readonly label: string;
  readonly value: number;
  /** Whether a click on this bar does something (e.g. it is a head). */
  readonly pickable?: boolean;
}

export interface BarData {
  readonly bars: readonly BarItem[];
  readonly valueName: string;
  readonly csv: () => string;
  readonly fileName: string;
}

export interface BarChartOptions {
  readonly post: Post;
  readonly palette: () => Palette;
  readonly onPick?: (index: number) => void;
}

const ROW = 18;
const LABEL_PX = 11;
const VALUE_ROOM = 52;

export class BarChart {
  readonly element: HTMLElement;
  private readonly frame: ChartFrame;
  private readonly canvas: HTMLCanvasElement;
  private data: BarData | undefined;
  private labelWidth = 0;
  private hovered: number | undefined;
  private marked: number | undefined;

  constructor(private readonly options: BarChartOptions) {
    this.canvas = el('canvas', { class: 'bar-chart', attrs: { role: 'img' } });
    this.frame = new ChartFrame({
      exportPng: () => void this.exportPng(),
      exportCsv: () => this.exportCsv(),
      canvases: [this.canvas],
      stageClass: 'bar-stage',
    });
    this.element = this.frame.element;
    this.frame.onHover((e) => this.onMove(e));
    // Only some bars are pickable, so the pointer shows it per bar (onMove), not for the whole stage.
    this.frame.stage.addEventListener('click', (e) => {
      const i = this.rowAt(e);
      if (i !== undefined && this.data?.bars[i]?.pickable) this.options.onPick?.(i);
    });
  }

  setTitle(title: string, subtitle = ''): void {
    this.frame.setTitle(title, subtitle);
  }

  setData(data: BarData | undefined): void {
    this.data = data;
    this.hovered = undefined;
    this.frame.setData(!!data);
    this.draw();
  }

  setWidth(width: number): void {
    if (this.frame.setWidth(width)) this.draw();
  }

  /** Outlines one bar (the selected head). */
  setMarked(index: number | undefined): void {
    if (index === this.marked) return;
    this.marked = index;
    this.draw();
  }

  draw(): void {
    const d = this.data;
    if (!d || this.frame.width <= 0) return;
    const p = this.options.palette();
    const dpr = devicePixelRatio();
    const width = Math.min(this.frame.width, 640);
    const height = d.bars.length * ROW + 8;
    sizeCanvas(this.canvas, width, height, dpr);
    const ctx = context2d(this.canvas);
    paintBackground(ctx, dpr, p.background, width, height);
    ctx.font = canvasFont(LABEL_PX, p.monoFont);
    this.labelWidth = Math.ceil(Math.min(120, d.bars.reduce((m, b) => Math.max(m, ctx.measureText(b.label).width), 0))) + 10;
    let max = 0;
    for (const b of d.bars) if (Number.isFinite(b.value)) max = Math.max(max, Math.abs(b.value));
    const hasNegative = d.bars.some((b) => b.value < 0);
    const area = width - this.labelWidth - VALUE_ROOM * (hasNegative ? 2 : 1);
    const zero = this.labelWidth + (hasNegative ? VALUE_ROOM + area / 2 : 0);
    const scale = max > 0 ? (hasNegative ? area / 2 : area) / max : 0;
    ctx.textBaseline = 'middle';
    d.bars.forEach((b, i) => {
      const y = 4 + i * ROW;
      if (i === this.hovered || i === this.marked) {
        ctx.fillStyle = cssColor(i === this.marked ? p.focus : p.hover, i === this.marked ? 0.18 : 0.08);
        ctx.fillRect(0, y, width, ROW);
      }
      ctx.fillStyle = cssColor(i === this.marked ? p.foreground : p.muted);
      ctx.textAlign = 'right';
      ctx.font = canvasFont(LABEL_PX, p.monoFont, i === this.marked ? '600' : 'normal');
      ctx.fillText(b.label, this.labelWidth - 8, y + ROW / 2);
      if (!Number.isFinite(b.value)) return;
      const w = b.value * scale;
      ctx.fillStyle = cssColor(b.value >= 0 ? p.accent : p.negative, i === this.hovered || i === this.marked ? 1 : 0.8);
      ctx.fillRect(w >= 0 ? zero : zero + w, y + 3, Math.max(1, Math.abs(w)), ROW - 6);
      ctx.font = canvasFont(10, p.font);
      ctx.fillStyle = cssColor(p.muted);
      ctx.textAlign = w >= 0 ? 'left' : 'right';
      ctx.fillText(formatNumber(b.value, 3), w >= 0 ? zero + w + 4 : zero + w - 4, y + ROW / 2);
    });
    ctx.strokeStyle = cssColor(p.muted, 0.55);
    ctx.beginPath();
    ctx.moveTo(Math.round(zero) + 0.5, 2);
    ctx.lineTo(Math.round(zero) + 0.5, height - 2);
    ctx.stroke();
  }

  private rowAt(e: MouseEvent): number | undefined {
    const d = this.data;
    if (!d) return undefined;
    const i = Math.floor((pointerOn(this.canvas, e).y - 4) / ROW);
    return i >= 0 && i < d.bars.length ? i : undefined;
  }

  private onMove(e: MouseEvent | undefined): void {
    const i = e ? this.rowAt(e) : undefined;
    if (i !== this.hovered) {
      this.hovered = i;
      this.frame.stage.classList.toggle('clickable', i !== undefined && !!this.data?.bars[i]?.pickable && !!this.options.onPick);
      this.draw();
    }
    const b = i === undefined ? undefined : this.data?.bars[i];
    this.frame.setTooltip(e, b && this.data ? [tooltipRow('Component', b.label), tooltipRow(this.data.valueName, formatNumber(b.value))] : undefined);
  }

  async exportPng(): Promise<void> {
    if (this.data) await savePng(this.options.post, this.data.fileName, this.canvas);
  }

  exportCsv(): void {
    if (this.data) saveCsv(this.options.post, this.data.fileName, this.data.csv());
  }
}

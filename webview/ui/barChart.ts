/**
 * A horizontal bar chart on canvas for signed values: one row per bar, the label on the left, bars
 * growing right (positive) or left (negative) from a zero line, the value at the bar's end. Hover
 * shows a tooltip, click picks a bar, PNG / CSV export.
 */
import { cssColor, type Palette } from '../lib/color';
import { formatNumber } from '../lib/format';
import { canvasFont, context2d, devicePixelRatio, pngBytes, sizeCanvas } from './canvas';
import { changedWidth, chartHeader, paintBackground, setChartTitle, showTooltip, tooltipElement, tooltipRow, type ChartHeader } from './chartParts';
import { el, show } from './dom';
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
  private readonly header: ChartHeader;
  private readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly actions: HTMLElement;
  private data: BarData | undefined;
  private width = 0;
  private labelWidth = 0;
  private hovered: number | undefined;
  private marked: number | undefined;

  constructor(private readonly options: BarChartOptions) {
    this.header = chartHeader(
      () => void this.exportPng(),
      () => this.exportCsv(),
    );
    this.actions = this.header.actions;
    this.canvas = el('canvas', { class: 'bar-chart', attrs: { role: 'img' } });
    this.tooltip = tooltipElement();
    this.stage = el('div', { class: 'heatmap-stage bar-stage' }, this.canvas, this.tooltip);
    this.element = el('section', { class: 'heatmap' }, this.header.element, this.stage);
    this.stage.addEventListener('mousemove', (e) => this.onMove(e));
    this.stage.addEventListener('mouseleave', () => this.onMove(undefined));
    this.stage.addEventListener('click', (e) => {
      const i = this.rowAt(e);
      if (i !== undefined && this.data?.bars[i]?.pickable) this.options.onPick?.(i);
    });
  }

  setTitle(title: string, subtitle = ''): void {
    setChartTitle(this.header, this.canvas, title, subtitle);
  }

  setData(data: BarData | undefined): void {
    this.data = data;
    this.hovered = undefined;
    this.tooltip.hidden = true;
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

  /** Outlines one bar (the selected head). */
  setMarked(index: number | undefined): void {
    if (index === this.marked) return;
    this.marked = index;
    this.draw();
  }

  draw(): void {
    const d = this.data;
    if (!d || this.width <= 0) return;
    const p = this.options.palette();
    const dpr = devicePixelRatio();
    const width = Math.min(this.width, 640);
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
    const rect = this.canvas.getBoundingClientRect();
    const i = Math.floor((e.clientY - rect.top - 4) / ROW);
    return i >= 0 && i < d.bars.length ? i : undefined;
  }

  private onMove(e: MouseEvent | undefined): void {
    const i = e ? this.rowAt(e) : undefined;
    if (i !== this.hovered) {
      this.hovered = i;
      this.stage.classList.toggle('clickable', i !== undefined && !!this.data?.bars[i]?.pickable && !!this.options.onPick);
      this.draw();
    }
    const d = this.data;
    if (i === undefined || !d || !e) {
      this.tooltip.hidden = true;
      return;
    }
    const b = d.bars[i]!;
    showTooltip(this.tooltip, [tooltipRow('Component', b.label), tooltipRow(d.valueName, formatNumber(b.value))], e);
  }

  async exportPng(): Promise<void> {
    if (!this.data) return;
    this.options.post({ type: 'save', fileName: `${this.data.fileName}.png`, data: await pngBytes(this.canvas) });
  }

  exportCsv(): void {
    if (!this.data) return;
    this.options.post({ type: 'save', fileName: `${this.data.fileName}.csv`, data: this.data.csv() });
  }
}

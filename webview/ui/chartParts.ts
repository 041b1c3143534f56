/**
 * Pieces the canvas charts (heatmap, scatter plot, bar and line charts, the particles) share: the
 * header with title, subtitle and export actions, the hover tooltip, canvas repaint steps, and the
 * plot box of the charts drawn on x/y axes (frame, ticks with gridlines, axis titles).
 */
import { cssColor, type Palette, type Rgba } from '../lib/color';
import { formatNumber } from '../lib/format';
import { nearestPoint, toPixel, type ScatterLayout } from '../lib/scatter';
import { canvasFont, context2d, devicePixelRatio } from './canvas';
import { action, el } from './dom';

export interface ChartHeader {
  readonly titleEl: HTMLElement;
  readonly subtitleEl: HTMLElement;
  /** The export actions (hidden while there is no data). */
  readonly actions: HTMLElement;
  /** The header row: title, subtitle, spacer, actions. */
  readonly element: HTMLElement;
}

/** A chart's header with "Export PNG" and "Export CSV" actions. */
export function chartHeader(exportPng: () => void, exportCsv: () => void): ChartHeader {
  const titleEl = el('span', { class: 'heatmap-title' });
  const subtitleEl = el('span', { class: 'heatmap-subtitle' });
  const actions = el('span', { class: 'heatmap-actions' }, action('file-media', 'Export PNG', exportPng), action('table', 'Export CSV', exportCsv));
  const element = el('div', { class: 'heatmap-header' }, titleEl, subtitleEl, el('span', { class: 'spacer' }), actions);
  return { titleEl, subtitleEl, actions, element };
}

/** Sets the header's title and subtitle, and the canvas's accessible name. */
export function setChartTitle(header: ChartHeader, canvas: HTMLCanvasElement, title: string, subtitle: string): void {
  header.titleEl.textContent = title;
  header.subtitleEl.textContent = subtitle;
  canvas.setAttribute('aria-label', subtitle ? `${title}, ${subtitle}` : title);
}

/** The floored width when it changed and is positive, else undefined (nothing to redraw). */
export function changedWidth(current: number, width: number): number | undefined {
  const w = Math.floor(width);
  return w === current || w <= 0 ? undefined : w;
}

/** A hidden tooltip element. */
export function tooltipElement(): HTMLElement {
  const tooltip = el('div', { class: 'tooltip', attrs: { role: 'tooltip' } });
  tooltip.hidden = true;
  return tooltip;
}

/** One tooltip line: key, value and (optionally) an index. */
export function tooltipRow(key: string, value: string, index?: number): HTMLElement {
  return el('div', { class: 'tooltip-row' }, el('span', { class: 'tooltip-key', text: key }), el('span', { class: 'tooltip-value', text: value }), index === undefined ? null : el('span', { class: 'tooltip-index', text: `#${index}` }));
}

/** Fills the tooltip with `rows` and shows it beside the pointer. */
export function showTooltip(tooltip: HTMLElement, rows: readonly HTMLElement[], e: MouseEvent): void {
  tooltip.replaceChildren(...rows);
  tooltip.hidden = false;
  placeTooltip(tooltip, e);
}

/** Puts a tooltip (position: fixed) beside the pointer, flipped to stay inside the window. */
export function placeTooltip(tooltip: HTMLElement, e: MouseEvent): void {
  const w = tooltip.offsetWidth;
  const h = tooltip.offsetHeight;
  const left = e.clientX + 16 + w > window.innerWidth ? Math.max(0, e.clientX - 12 - w) : e.clientX + 16;
  const top = e.clientY + 16 + h > window.innerHeight ? Math.max(0, e.clientY - 12 - h) : e.clientY + 16;
  tooltip.style.left = `${left}px`;
  tooltip.style.top = `${top}px`;
}

/** The pointer's position on a canvas, in CSS pixels from its top left corner. */
export function pointerOn(canvas: HTMLCanvasElement, e: MouseEvent): { x: number; y: number } {
  const rect = canvas.getBoundingClientRect();
  return { x: e.clientX - rect.left, y: e.clientY - rect.top };
}

/** The index of the scatter point under the pointer (within a few pixels), if any. */
export function pointUnder(canvas: HTMLCanvasElement, e: MouseEvent, l: ScatterLayout, xs: ArrayLike<number>, ys: ArrayLike<number>): number | undefined {
  const { x, y } = pointerOn(canvas, e);
  return nearestPoint(l, xs, ys, x, y, 9);
}

/** A ring around a scatter point (hovered, highlighted), a little inside the pick radius. */
export function ringPoint(ctx: CanvasRenderingContext2D, px: number, py: number, color: Rgba, lineWidth: number): void {
  ctx.strokeStyle = cssColor(color);
  ctx.lineWidth = lineWidth;
  ctx.beginPath();
  ctx.arc(px, py, 7, 0, 2 * Math.PI);
  ctx.stroke();
}

/** Clears a whole canvas (device pixels), leaving the identity transform. */
export function clearCanvas(ctx: CanvasRenderingContext2D): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
}

/** Scales to CSS pixels and fills `width` × `height` with the background. */
export function paintBackground(ctx: CanvasRenderingContext2D, dpr: number, background: Rgba, width: number, height: number): void {
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = cssColor(background);
  ctx.fillRect(0, 0, width, height);
}

/** An overlay canvas cleared and scaled to CSS pixels, ready for the hover marks. */
export function clearOverlay(overlay: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = context2d(overlay);
  clearCanvas(ctx);
  const dpr = devicePixelRatio();
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** Room around a plot box for the tick labels and the axis titles (`drawAxisTitles` places them in it). */
export const AXES_MARGIN = { left: 40, right: 14, top: 12, bottom: 34 } as const;

/** The plot box's frame; leaves the tick font and color set. */
export function drawPlotBox(ctx: CanvasRenderingContext2D, p: Palette, l: ScatterLayout): void {
  ctx.lineWidth = 1;
  ctx.strokeStyle = cssColor(p.muted, 0.35);
  ctx.strokeRect(l.left - 0.5, l.top - 0.5, l.width + 1, l.height + 1);
  ctx.font = canvasFont(10, p.font);
  ctx.fillStyle = cssColor(p.muted);
}

export interface TickStyle {
  /** Gridline opacity; none when undefined. */
  readonly grid?: number;
  /** Gridline opacity at 0 (the axis through the origin); default `grid`. */
  readonly zeroGrid?: number;
  /** Significant digits of the tick labels. */
  readonly digits: number;
}

/** Ticks along x, labelled under the plot box, each with a vertical gridline when styled so. */
export function drawXTicks(ctx: CanvasRenderingContext2D, p: Palette, l: ScatterLayout, ticks: readonly number[], style: TickStyle): void {
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of ticks) {
    const { px } = toPixel(l, t, l.domain.y[0]);
    if (style.grid !== undefined) {
      ctx.strokeStyle = cssColor(p.muted, t === 0 ? (style.zeroGrid ?? style.grid) : style.grid);
      ctx.beginPath();
      ctx.moveTo(Math.round(px) + 0.5, l.top);
      ctx.lineTo(Math.round(px) + 0.5, l.top + l.height);
      ctx.stroke();
    }
    ctx.fillText(formatNumber(t, style.digits), px, l.top + l.height + 3);
  }
}

/** Ticks along y, labelled left of the plot box, each with a horizontal gridline when styled so. */
export function drawYTicks(ctx: CanvasRenderingContext2D, p: Palette, l: ScatterLayout, ticks: readonly number[], style: TickStyle): void {
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of ticks) {
    const { py } = toPixel(l, l.domain.x[0], t);
    if (style.grid !== undefined) {
      ctx.strokeStyle = cssColor(p.muted, t === 0 ? (style.zeroGrid ?? style.grid) : style.grid);
      ctx.beginPath();
      ctx.moveTo(l.left, Math.round(py) + 0.5);
      ctx.lineTo(l.left + l.width, Math.round(py) + 0.5);
      ctx.stroke();
    }
    ctx.fillText(formatNumber(t, style.digits), l.left - 4, py);
  }
}

/** The axis titles with arrows: x centred under the tick labels, y turned up along the left edge. */
export function drawAxisTitles(ctx: CanvasRenderingContext2D, p: Palette, l: ScatterLayout, xTitle: string, yTitle: string): void {
  ctx.font = canvasFont(11, p.font, '600');
  ctx.fillStyle = cssColor(p.foreground);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(`${xTitle} →`, l.left + l.width / 2, l.top + l.height + 30);
  ctx.save();
  ctx.translate(11, l.top + l.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(`${yTitle} →`, 0, 0);
  ctx.restore();
}

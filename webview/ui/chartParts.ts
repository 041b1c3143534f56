/**
 * Pieces the canvas charts (heatmap, scatter plot, bar chart) share: the header with title,
 * subtitle and export actions, the hover tooltip, and canvas repaint steps.
 */
import { cssColor, type Rgba } from '../lib/color';
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

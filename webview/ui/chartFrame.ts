/**
 * The page furniture every canvas chart (heatmap, scatter plot, bar and line charts, the
 * particles) wraps around its drawing: the header with title, subtitle and export actions, a stage
 * holding the canvases and the hover tooltip, optionally a note shown in place of the chart while
 * there is no data, and the width it was given; also the stacked canvases most charts draw on and
 * the `save` messages of their exports. The chart draws and hit-tests; the frame shows, hides and
 * wires the pointer.
 */
import { pngBytes } from './canvas';
import { changedWidth, chartHeader, setChartTitle, showTooltip, tooltipElement, type ChartHeader } from './chartParts';
import { el, show } from './dom';
import type { Post } from './vscode';

export interface ChartFrameOptions {
  readonly exportPng: () => void;
  readonly exportCsv: () => void;
  /** The stacked canvases; the first is the image screen readers are told about. */
  readonly canvases: readonly HTMLCanvasElement[];
  /** Classes of the section and of the stage, besides `heatmap` and `heatmap-stage`. */
  readonly sectionClass?: string;
  readonly stageClass?: string;
  /** A note in place of the chart while there is no data (its text is given to `setData`). */
  readonly emptyNote?: boolean;
  /** Elements after the stage (a legend), shown and hidden with it. */
  readonly after?: readonly HTMLElement[];
}

export class ChartFrame {
  readonly element: HTMLElement;
  readonly header: ChartHeader;
  readonly stage: HTMLElement;
  readonly tooltip: HTMLElement;
  private readonly emptyEl: HTMLElement | undefined;
  private readonly after: readonly HTMLElement[];
  private currentWidth = 0;

  constructor(private readonly options: ChartFrameOptions) {
    this.header = chartHeader(options.exportPng, options.exportCsv);
    this.tooltip = tooltipElement();
    this.stage = el('div', { class: options.stageClass ? `heatmap-stage ${options.stageClass}` : 'heatmap-stage' }, ...options.canvases, this.tooltip);
    this.emptyEl = options.emptyNote ? el('div', { class: 'empty-note' }) : undefined;
    this.after = options.after ?? [];
    this.element = el('section', { class: options.sectionClass ? `heatmap ${options.sectionClass}` : 'heatmap' }, this.header.element, this.emptyEl ?? null, this.stage, ...this.after);
  }

  /** The width last given to `setWidth` (floored CSS pixels; 0 before). */
  get width(): number {
    return this.currentWidth;
  }

  setTitle(title: string, subtitle: string): void {
    setChartTitle(this.header, this.options.canvases[0]!, title, subtitle);
  }

  /** Shows the chart (with data) or the empty note (without, when `emptyText` says why); hides the tooltip. */
  setData(hasData: boolean, emptyText = ''): void {
    this.tooltip.hidden = true;
    if (this.emptyEl) {
      this.emptyEl.textContent = emptyText;
      show(this.emptyEl, !hasData && emptyText.length > 0);
    }
    show(this.stage, hasData);
    for (const e of this.after) show(e, hasData);
    show(this.header.actions, hasData);
  }

  /** Takes the available width; true when it changed and is positive (the chart redraws). */
  setWidth(width: number): boolean {
    const w = changedWidth(this.currentWidth, width);
    if (w === undefined) return false;
    this.currentWidth = w;
    return true;
  }

  /** The tooltip beside the pointer with `rows`; hidden without a pointer or without rows (nothing under it). */
  setTooltip(e: MouseEvent | undefined, rows: readonly HTMLElement[] | undefined): void {
    if (e && rows) showTooltip(this.tooltip, rows, e);
    else this.tooltip.hidden = true;
  }

  /** Calls `move` with each pointer move over the stage, and with undefined when the pointer leaves. */
  onHover(move: (e: MouseEvent | undefined) => void): void {
    this.stage.addEventListener('mousemove', (e) => move(e));
    this.stage.addEventListener('mouseleave', () => move(undefined));
  }

  /** With `pick`: the stage shows it is clickable, and a click on an item (`hit`) picks it. */
  onPick(hit: (e: MouseEvent) => number | undefined, pick: ((i: number) => void) | undefined): void {
    if (!pick) return;
    this.stage.classList.add('clickable');
    this.stage.addEventListener('click', (e) => {
      const i = hit(e);
      if (i !== undefined) pick(i);
    });
  }
}

/**
 * A chart's two stacked canvases: the drawing (an image for screen readers; `heatmap-canvas` and
 * `extraClass`) and the overlay above it that hover marks repaint alone.
 */
export function layeredCanvases(extraClass = '', attrs: Readonly<Record<string, string>> = {}): { base: HTMLCanvasElement; overlay: HTMLCanvasElement } {
  return {
    base: el('canvas', { class: extraClass ? `heatmap-canvas ${extraClass}` : 'heatmap-canvas', attrs: { role: 'img', ...attrs } }),
    overlay: el('canvas', { class: 'heatmap-overlay', attrs: { 'aria-hidden': 'true' } }),
  };
}

/** Posts `canvas` as `<fileName>.png` in a `save` message. */
export async function savePng(post: Post, fileName: string, canvas: HTMLCanvasElement): Promise<void> {
  post({ type: 'save', fileName: `${fileName}.png`, data: await pngBytes(canvas) });
}

/** Posts `csv` as `<fileName>.csv` in a `save` message. */
export function saveCsv(post: Post, fileName: string, csv: string): void {
  post({ type: 'save', fileName: `${fileName}.csv`, data: csv });
}

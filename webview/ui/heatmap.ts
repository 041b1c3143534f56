/**
 * A labeled heatmap on canvas: cells drawn one pixel per value into an ImageData and scaled up
 * without smoothing, token labels on both axes, a legend, a hover tooltip, a highlight overlay,
 * and PNG / CSV export. Hover and highlight repaint only the overlay canvas.
 */
import { cssColor, readableOn, unpackColor, type Palette } from '../lib/color';
import { matrixCsv, uniqueLabels } from '../lib/csv';
import { formatNumber } from '../lib/format';
import { heatmapLayout, highlightBand, hitTestCell, labelStride, type HeatmapLayout, type HoverDirection } from '../lib/layout';
import { causalMask, drawCells } from '../lib/raster';
import { scaleIndex, scaleLut, type HeatScale } from '../lib/scale';
import { tokenLabel, visibleWhitespace } from '../lib/tokens';
import { canvasFont, context2d, devicePixelRatio, sizeCanvas, stackCanvases } from './canvas';
import { ChartFrame, layeredCanvases, saveCsv, savePng } from './chartFrame';
import { clearOverlay, paintBackground, pointerOn, tooltipRow } from './chartParts';
import { el } from './dom';
import { drawLegend } from './legend';
import type { Post } from './vscode';

export type { HeatScale } from '../lib/scale';
export { placeTooltip } from './chartParts';

export interface HeatmapData {
  readonly values: ArrayLike<number>;
  readonly offset: number;
  readonly rows: number;
  readonly cols: number;
  /** Raw token strings (or any labels); whitespace is made visible here. */
  readonly rowLabels: readonly string[];
  readonly colLabels: readonly string[];
  readonly rowTitle: string;
  readonly colTitle: string;
  /** What a cell's number is, for the tooltip ("Weight", "Score", "Logit"). */
  readonly valueName: string;
  readonly scale: HeatScale;
  /** Cells after the diagonal that are exactly 0 show as masked. */
  readonly causal: boolean;
  /** Other cells that hold no value (drawn as the background; the tooltip says `maskedText`). */
  readonly masked?: (row: number, col: number) => boolean;
  readonly maskedText?: string;
  /** Rule lines every `blocks` rows and columns (e.g. between layers of a heads × heads matrix). */
  readonly blocks?: number;
  /** Print each value in its cell when cells are large enough. */
  readonly showValues?: boolean;
  /** How a value prints in its cell (default: 2 significant digits). */
  readonly formatValue?: (v: number) => string;
  /** More tooltip lines for a cell (label, value). */
  readonly describe?: (row: number, col: number) => readonly (readonly [string, string])[];
  /** Export file name without extension. */
  readonly fileName: string;
}

export interface HeatmapOptions {
  readonly post: Post;
  readonly palette: () => Palette;
  readonly maxCell?: number;
  readonly minCell?: number;
  /** Keep the subtitle on the title's line (short subtitles such as "locked"). */
  readonly inlineSubtitle?: boolean;
  /** Hovering a cell (undefined when leaving). */
  readonly onHoverCell?: (cell: { row: number; col: number } | undefined) => void;
  /** Clicking a cell (the pointer shows it is clickable). */
  readonly onClickCell?: (cell: { row: number; col: number }) => void;
}

/** An outlined cell: 'primary' the selected item, 'secondary' its partner (e.g. the earlier head of a pair). */
export interface CellMark {
  readonly row: number;
  readonly col: number;
  readonly style: 'primary' | 'secondary';
}

const LABEL_PX = 11;
const TITLE_PX = 11;
const MAX_LABEL_CHARS = 14;

export class HeatmapView {
  readonly element: HTMLElement;
  private readonly frame: ChartFrame;
  private readonly base: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly legend: HTMLCanvasElement;
  private readonly cellCanvas = document.createElement('canvas');
  private data: HeatmapData | undefined;
  private geometry: HeatmapLayout | undefined;
  private rowText: string[] = [];
  private colText: string[] = [];
  private highlight: { index: number; direction: HoverDirection } | undefined;
  private hoverCell: { row: number; col: number } | undefined;
  private marks: readonly CellMark[] = [];

  constructor(private readonly options: HeatmapOptions) {
    ({ base: this.base, overlay: this.overlay } = layeredCanvases());
    this.legend = el('canvas', { class: 'legend' });
    this.frame = new ChartFrame({
      exportPng: () => void this.exportPng(),
      exportCsv: () => this.exportCsv(),
      canvases: [this.base, this.overlay],
      sectionClass: options.inlineSubtitle ? 'inline-subtitle' : undefined,
      emptyNote: true,
      after: [this.legend],
    });
    this.element = this.frame.element;
    this.frame.onHover((e) => (e ? this.onMove(e) : this.setHoverCell(undefined, undefined)));
    if (options.onClickCell) {
      // A cell is picked, not an index, and masked cells are not: the frame's onPick does not fit.
      this.frame.stage.classList.add('clickable');
      this.frame.stage.addEventListener('click', (e) => {
        const g = this.geometry;
        if (!g || !this.data) return;
        const { x, y } = pointerOn(this.base, e);
        const cell = hitTestCell(g, x, y);
        if (cell && !this.isMasked(cell.row, cell.col)) options.onClickCell?.(cell);
      });
    }
  }

  /** Outlines cells (the selected head, a pair). Overlay only. */
  setMarks(marks: readonly CellMark[]): void {
    const same = marks.length === this.marks.length && marks.every((m, i) => m.row === this.marks[i]!.row && m.col === this.marks[i]!.col && m.style === this.marks[i]!.style);
    if (same) return;
    this.marks = marks;
    this.drawOverlay();
  }

  private isMasked(row: number, col: number): boolean {
    const d = this.data;
    if (!d) return false;
    if (d.masked?.(row, col)) return true;
    return d.causal && col > row && d.values[d.offset + row * d.cols + col] === 0;
  }

  setTitle(title: string, subtitle = ''): void {
    this.frame.setTitle(title, subtitle);
  }

  /** New numbers (or none, with a note saying why). Redraws. */
  setData(data: HeatmapData | undefined, emptyText = ''): void {
    this.data = data;
    this.hoverCell = undefined;
    this.frame.setData(!!data, emptyText);
    if (data) {
      this.rowText = data.rowLabels.map((t) => tokenLabel(t, MAX_LABEL_CHARS));
      this.colText = data.colLabels === data.rowLabels ? this.rowText : data.colLabels.map((t) => tokenLabel(t, MAX_LABEL_CHARS));
    }
    this.draw();
  }

  /** Width available to the heatmap (CSS pixels). Redraws when it changed. */
  setWidth(width: number): void {
    if (this.frame.setWidth(width)) this.draw();
  }

  /** Highlights row `index` (direction query) or column `index` (key); undefined clears. Overlay only. */
  setHighlight(index: number | undefined, direction: HoverDirection): void {
    const next = index === undefined ? undefined : { index, direction };
    if (next?.index === this.highlight?.index && next?.direction === this.highlight?.direction) return;
    this.highlight = next;
    this.drawOverlay();
  }

  /** Full repaint (new data, size or theme). */
  draw(): void {
    const d = this.data;
    if (!d || this.frame.width <= 0) return;
    const p = this.options.palette();
    const dpr = devicePixelRatio();
    const ctx = context2d(this.base);

    ctx.font = canvasFont(LABEL_PX, p.monoFont);
    const measure = (texts: readonly string[]) => texts.reduce((m, t) => Math.max(m, ctx.measureText(t).width), 0);
    const rowW = Math.ceil(Math.min(120, measure(this.rowText)));
    const colH = Math.ceil(Math.min(120, this.colText === this.rowText ? rowW : measure(this.colText)));
    const titleRoom = TITLE_PX + 8;
    const g = heatmapLayout({
      rows: d.rows,
      cols: d.cols,
      availableWidth: this.frame.width,
      rowLabelWidth: titleRoom + rowW + 6,
      colLabelHeight: titleRoom + colH + 6,
      minCell: this.options.minCell ?? 1,
      maxCell: this.options.maxCell ?? 28,
    });
    this.geometry = g;
    sizeCanvas(this.base, g.width, g.height, dpr);
    sizeCanvas(this.overlay, g.width, g.height, dpr);
    paintBackground(ctx, dpr, p.background, g.width, g.height);

    // Cells: one pixel per value, scaled up crisp.
    this.cellCanvas.width = d.cols;
    this.cellCanvas.height = d.rows;
    const cctx = context2d(this.cellCanvas);
    const image = cctx.createImageData(d.cols, d.rows);
    const pixels = new Uint32Array(image.data.buffer);
    const lut = scaleLut(p, d.scale);
    const mask = d.masked ? { pixel: p.maskedPixel, test: (r: number, c: number) => d.masked!(r, c) } : d.causal ? causalMask(p.maskedPixel) : undefined;
    drawCells(d.values, d.offset, d.rows, d.cols, pixels, lut, scaleIndex(d.scale), mask);
    cctx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.cellCanvas, g.left, g.top, d.cols * g.cell, d.rows * g.cell);
    if (d.showValues && g.cell >= 26) this.drawValues(ctx, p, g, pixels);
    if (d.blocks && d.blocks > 0 && d.blocks < Math.max(d.rows, d.cols)) {
      ctx.strokeStyle = cssColor(p.muted, 0.45);
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let r = d.blocks; r < d.rows; r += d.blocks) {
        ctx.moveTo(g.left, Math.round(g.top + r * g.cell) + 0.5);
        ctx.lineTo(g.left + d.cols * g.cell, Math.round(g.top + r * g.cell) + 0.5);
      }
      for (let c = d.blocks; c < d.cols; c += d.blocks) {
        ctx.moveTo(Math.round(g.left + c * g.cell) + 0.5, g.top);
        ctx.lineTo(Math.round(g.left + c * g.cell) + 0.5, g.top + d.rows * g.cell);
      }
      ctx.stroke();
    }

    // Axis labels: every k-th when cells are smaller than the text.
    ctx.font = canvasFont(LABEL_PX, p.monoFont);
    ctx.fillStyle = cssColor(p.muted);
    const stride = labelStride(g.cell, LABEL_PX);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let r = 0; r < d.rows; r += stride) ctx.fillText(this.rowText[r] ?? String(r), g.left - 5, g.top + (r + 0.5) * g.cell);
    ctx.save();
    ctx.textAlign = 'left';
    for (let c = 0; c < d.cols; c += stride) {
      ctx.setTransform(dpr, 0, 0, dpr, dpr * (g.left + (c + 0.5) * g.cell), dpr * (g.top - 5));
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(this.colText[c] ?? String(c), 0, 0);
    }
    ctx.restore();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);

    // Axis titles.
    ctx.font = canvasFont(TITLE_PX, p.font, '600');
    ctx.fillStyle = cssColor(p.foreground);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText(`${d.colTitle} →`, g.left + Math.min(d.cols * g.cell, this.frame.width - g.left) / 2, 2);
    ctx.save();
    ctx.translate(2, g.top + (d.rows * g.cell) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(`← ${d.rowTitle}`, 0, 0);
    ctx.restore();

    // Frame.
    ctx.strokeStyle = cssColor(p.muted, 0.35);
    ctx.lineWidth = 1;
    ctx.strokeRect(g.left - 0.5, g.top - 0.5, d.cols * g.cell + 1, d.rows * g.cell + 1);

    this.drawLegend(p, dpr);
    this.drawOverlay();
  }

  /** Overlay: the highlighted row or column (everything else dimmed) and the hovered cell. */
  drawOverlay(): void {
    const d = this.data;
    const g = this.geometry;
    if (!d || !g) return;
    const p = this.options.palette();
    const ctx = clearOverlay(this.overlay);
    const area = { x: g.left, y: g.top, w: d.cols * g.cell, h: d.rows * g.cell };
    const h = this.highlight;
    if (h && h.index >= 0 && h.index < (h.direction === 'query' ? d.rows : d.cols)) {
      const { band, dim } = highlightBand(area, h.direction === 'query' ? d.rows : d.cols, h.index, h.direction);
      ctx.fillStyle = cssColor(p.background, 0.78);
      for (const r of dim) ctx.fillRect(r.x, r.y, r.w, r.h);
      ctx.strokeStyle = cssColor(p.focus);
      ctx.lineWidth = p.highContrast ? 2 : 1;
      ctx.strokeRect(band.x - 0.5, band.y - 0.5, band.w + 1, band.h + 1);
      this.labelMark(ctx, p, g, h.direction === 'query' ? 'row' : 'col', h.index);
    }
    for (const m of this.marks) {
      if (m.row < 0 || m.col < 0 || m.row >= d.rows || m.col >= d.cols) continue;
      const w = m.style === 'primary' ? (p.highContrast ? 3 : 2) : 1.5;
      ctx.strokeStyle = cssColor(m.style === 'primary' ? p.focus : p.hover, m.style === 'primary' ? 1 : 0.85);
      ctx.lineWidth = w;
      if (m.style === 'secondary') ctx.setLineDash([3, 2]);
      const x = g.left + m.col * g.cell;
      const y = g.top + m.row * g.cell;
      ctx.strokeRect(x - w / 2, y - w / 2, g.cell + w, g.cell + w);
      ctx.setLineDash([]);
      if (m.style === 'primary' && g.cell >= 8) {
        // A ring of the background inside the outline keeps it visible on a cell of the same hue.
        ctx.strokeStyle = cssColor(p.background);
        ctx.lineWidth = 1;
        ctx.strokeRect(x + w / 2 + 0.5, y + w / 2 + 0.5, g.cell - w - 1, g.cell - w - 1);
      }
    }
    const c = this.hoverCell;
    if (c) {
      ctx.strokeStyle = cssColor(p.hover);
      ctx.lineWidth = p.highContrast ? 2 : 1.5;
      ctx.strokeRect(g.left + c.col * g.cell - 0.75, g.top + c.row * g.cell - 0.75, g.cell + 1.5, g.cell + 1.5);
      this.labelMark(ctx, p, g, 'row', c.row);
      this.labelMark(ctx, p, g, 'col', c.col);
    }
  }

  /** Redraws one axis label in the foreground color on a tinted chip, so the eye finds it. */
  private labelMark(ctx: CanvasRenderingContext2D, p: Palette, g: HeatmapLayout, axis: 'row' | 'col', i: number): void {
    const text = (axis === 'row' ? this.rowText[i] : this.colText[i]) ?? String(i);
    ctx.save();
    ctx.font = canvasFont(LABEL_PX, p.monoFont, '600');
    const w = ctx.measureText(text).width + 6;
    const hgt = LABEL_PX + 4;
    if (axis === 'row') {
      const y = g.top + (i + 0.5) * g.cell;
      ctx.fillStyle = cssColor(p.background);
      ctx.fillRect(g.left - 3 - w, y - hgt / 2, w, hgt);
      ctx.fillStyle = cssColor(p.focus, 0.25);
      ctx.fillRect(g.left - 3 - w, y - hgt / 2, w, hgt);
      ctx.fillStyle = cssColor(p.foreground);
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(text, g.left - 5, y);
    } else {
      const x = g.left + (i + 0.5) * g.cell;
      ctx.translate(x, g.top - 3);
      ctx.rotate(-Math.PI / 2);
      ctx.fillStyle = cssColor(p.background);
      ctx.fillRect(0, -hgt / 2, w, hgt);
      ctx.fillStyle = cssColor(p.focus, 0.25);
      ctx.fillRect(0, -hgt / 2, w, hgt);
      ctx.fillStyle = cssColor(p.foreground);
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      ctx.fillText(text, 2, 0);
    }
    ctx.restore();
  }

  private drawLegend(p: Palette, dpr: number): void {
    if (this.data) drawLegend(this.legend, p, this.data.scale, this.data.valueName, dpr);
  }

  /** Each value printed in its cell, in whichever of foreground and background reads better there. */
  private drawValues(ctx: CanvasRenderingContext2D, p: Palette, g: HeatmapLayout, pixels: Uint32Array): void {
    const d = this.data!;
    const format = d.formatValue ?? ((v: number) => formatNumber(v, 2));
    ctx.font = canvasFont(Math.min(11, Math.floor(g.cell / 3)), p.font);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let r = 0; r < d.rows; r++) {
      for (let c = 0; c < d.cols; c++) {
        if (this.isMasked(r, c)) continue;
        const v = d.values[d.offset + r * d.cols + c]!;
        ctx.fillStyle = cssColor(readableOn({ ...unpackColor(pixels[r * d.cols + c]!), a: 1 }, p.foreground, p.background));
        ctx.fillText(format(v), g.left + (c + 0.5) * g.cell, g.top + (r + 0.5) * g.cell);
      }
    }
  }

  private onMove(e: MouseEvent): void {
    const g = this.geometry;
    if (!g || !this.data) return;
    const { x, y } = pointerOn(this.base, e);
    this.setHoverCell(hitTestCell(g, x, y), e);
  }

  private setHoverCell(cell: { row: number; col: number } | undefined, e: MouseEvent | undefined): void {
    const prev = this.hoverCell;
    if (cell?.row !== prev?.row || cell?.col !== prev?.col) {
      this.hoverCell = cell;
      this.drawOverlay();
      this.options.onHoverCell?.(cell);
    }
    const d = this.data;
    if (!cell || !d || !e) {
      this.frame.setTooltip(e, undefined);
      return;
    }
    const v = d.values[d.offset + cell.row * d.cols + cell.col]!;
    const masked = this.isMasked(cell.row, cell.col);
    this.frame.setTooltip(e, [
      tooltipRow(d.rowTitle, visibleWhitespace(d.rowLabels[cell.row] ?? String(cell.row)), cell.row),
      tooltipRow(d.colTitle, visibleWhitespace(d.colLabels[cell.col] ?? String(cell.col)), cell.col),
      tooltipRow(d.valueName, masked ? (d.maskedText ?? 'masked') : formatNumber(v)),
      ...(masked ? [] : (d.describe?.(cell.row, cell.col) ?? []).map(([k, value]) => tooltipRow(k, value))),
    ]);
  }

  /** The figure with its legend, as PNG bytes posted in a `save` message. */
  async exportPng(): Promise<void> {
    if (!this.data) return;
    const p = this.options.palette();
    await savePng(this.options.post, this.data.fileName, stackCanvases([this.base, this.legend], cssColor(p.background), Math.round(8 * devicePixelRatio())));
  }

  /** The numbers as CSV: one row per row label, one column per column label. */
  exportCsv(): void {
    const d = this.data;
    if (!d) return;
    const csv = matrixCsv(d.values, d.offset, uniqueLabels(d.rowLabels), uniqueLabels(d.colLabels), `${d.rowTitle} \\ ${d.colTitle}`);
    saveCsv(this.options.post, d.fileName, csv);
  }

  /** The base canvas (benchmarks and composite exports). */
  get canvas(): HTMLCanvasElement {
    return this.base;
  }
}

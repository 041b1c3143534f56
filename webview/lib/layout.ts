/** Layout and hit-testing math for the canvas views. Pure numbers; no DOM. */
import { tokenPixels } from './raster';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface HeadRef {
  readonly layer: number;
  readonly head: number;
}

/** The thumbnail grid: layers are rows, heads are columns. All sizes in device pixels. */
export interface GridLayout {
  readonly layers: number;
  readonly heads: number;
  readonly tokens: number;
  /** Side of one thumbnail. */
  readonly thumb: number;
  readonly gap: number;
  /** Gutter for the layer labels (left) and the head labels (top). */
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  readonly dpr: number;
}

export interface GridOptions {
  readonly layers: number;
  readonly heads: number;
  readonly tokens: number;
  /** Width available, CSS pixels. */
  readonly availableWidth: number;
  readonly dpr: number;
  readonly minThumb?: number;
  readonly maxThumb?: number;
}

/**
 * Sizes the grid to the width available: thumbnails between minThumb and maxThumb CSS pixels, and
 * when the prompt has fewer tokens than a thumbnail has pixels, a whole number of pixels per token
 * so cells stay crisp.
 */
export function gridLayout(o: GridOptions): GridLayout {
  const dpr = o.dpr > 0 ? o.dpr : 1;
  const gap = Math.round(4 * dpr);
  const left = Math.round(30 * dpr);
  const top = Math.round(18 * dpr);
  const heads = Math.max(1, o.heads);
  const layers = Math.max(1, o.layers);
  const minThumb = o.minThumb ?? 24;
  const maxThumb = o.maxThumb ?? 72;
  const fitCss = Math.floor((o.availableWidth - left / dpr - (heads * gap) / dpr) / heads);
  let thumb = Math.round(Math.min(maxThumb, Math.max(minThumb, fitCss)) * dpr);
  const n = Math.max(1, o.tokens);
  if (n <= thumb) {
    const crisp = n * Math.floor(thumb / n);
    if (crisp >= thumb * 0.75) thumb = crisp;
  }
  return {
    layers,
    heads,
    tokens: n,
    thumb,
    gap,
    left,
    top,
    width: left + heads * (thumb + gap),
    height: top + layers * (thumb + gap),
    dpr,
  };
}

/** Where a head's thumbnail sits on the grid canvas. */
export function thumbRect(g: GridLayout, layer: number, head: number): Rect {
  return { x: g.left + head * (g.thumb + g.gap), y: g.top + layer * (g.thumb + g.gap), w: g.thumb, h: g.thumb };
}

/** The head under a point of the grid canvas (device pixels), or undefined over gaps and labels. */
export function hitTestGrid(g: GridLayout, x: number, y: number): HeadRef | undefined {
  const cx = x - g.left;
  const cy = y - g.top;
  if (cx < 0 || cy < 0) return undefined;
  const pitch = g.thumb + g.gap;
  const head = Math.floor(cx / pitch);
  const layer = Math.floor(cy / pitch);
  if (head >= g.heads || layer >= g.layers) return undefined;
  if (cx - head * pitch >= g.thumb || cy - layer * pitch >= g.thumb) return undefined;
  return { layer, head };
}

export type HoverDirection = 'query' | 'key';

/**
 * Highlighting token `t` inside a square of `n` tokens drawn at `r`: the band of pixels that shows
 * its row (as query: what it attends to) or its column (as key: what attends to it), and the
 * rectangles around the band that get dimmed.
 */
export function highlightBand(r: Rect, n: number, t: number, direction: HoverDirection): { band: Rect; dim: Rect[] } {
  const size = direction === 'query' ? r.h : r.w;
  const [s, e] = tokenPixels(t, size, n);
  if (direction === 'query') {
    const band = { x: r.x, y: r.y + s, w: r.w, h: e - s };
    const dim = [
      { x: r.x, y: r.y, w: r.w, h: s },
      { x: r.x, y: r.y + e, w: r.w, h: r.h - e },
    ].filter((d) => d.h > 0);
    return { band, dim };
  }
  const band = { x: r.x + s, y: r.y, w: e - s, h: r.h };
  const dim = [
    { x: r.x, y: r.y, w: s, h: r.h },
    { x: r.x + e, y: r.y, w: r.w - e, h: r.h },
  ].filter((d) => d.w > 0);
  return { band, dim };
}

/** Arrow-key navigation of the grid: left/right change the head, up/down the layer; clamped at the edges. */
export function moveHead(sel: HeadRef, key: string, layers: number, heads: number): HeadRef | undefined {
  const clamp = (v: number, n: number) => Math.max(0, Math.min(n - 1, v));
  switch (key) {
    case 'ArrowLeft':
      return { layer: sel.layer, head: clamp(sel.head - 1, heads) };
    case 'ArrowRight':
      return { layer: sel.layer, head: clamp(sel.head + 1, heads) };
    case 'ArrowUp':
      return { layer: clamp(sel.layer - 1, layers), head: sel.head };
    case 'ArrowDown':
      return { layer: clamp(sel.layer + 1, layers), head: sel.head };
    case 'Home':
      return { layer: 0, head: 0 };
    case 'End':
      return { layer: layers - 1, head: heads - 1 };
    default:
      return undefined;
  }
}

/** A labeled heatmap: `rows × cols` square cells right of the row labels and below the column labels (CSS pixels). */
export interface HeatmapLayout {
  readonly rows: number;
  readonly cols: number;
  readonly cell: number;
  /** Origin of the cells (after the row-label gutter and the column-label gutter). */
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface HeatmapOptions {
  readonly rows: number;
  readonly cols: number;
  readonly availableWidth: number;
  /** Room the labels need (measured by the page). */
  readonly rowLabelWidth: number;
  readonly colLabelHeight: number;
  readonly minCell?: number;
  readonly maxCell?: number;
  /** Space kept free right of and below the cells. */
  readonly margin?: number;
}

export function heatmapLayout(o: HeatmapOptions): HeatmapLayout {
  const margin = o.margin ?? 8;
  const minCell = o.minCell ?? 2;
  const maxCell = o.maxCell ?? 28;
  const cols = Math.max(1, o.cols);
  const rows = Math.max(1, o.rows);
  const fit = Math.floor((o.availableWidth - o.rowLabelWidth - margin) / cols);
  const cell = Math.max(minCell, Math.min(maxCell, fit));
  return {
    rows,
    cols,
    cell,
    left: o.rowLabelWidth,
    top: o.colLabelHeight,
    width: o.rowLabelWidth + cols * cell + margin,
    height: o.colLabelHeight + rows * cell + margin,
  };
}

/** The cell under a point (CSS pixels), or undefined outside the cells. */
export function hitTestCell(l: HeatmapLayout, x: number, y: number): { row: number; col: number } | undefined {
  const cx = x - l.left;
  const cy = y - l.top;
  if (cx < 0 || cy < 0) return undefined;
  const col = Math.floor(cx / l.cell);
  const row = Math.floor(cy / l.cell);
  if (col >= l.cols || row >= l.rows) return undefined;
  return { row, col };
}

/** Show every k-th axis label so labels of `fontPx` never overlap on cells of `cell` pixels. */
export function labelStride(cell: number, fontPx: number): number {
  if (cell <= 0) return Number.MAX_SAFE_INTEGER;
  return Math.max(1, Math.ceil((fontPx + 1) / cell));
}

/**
 * Heatmaps into pixel buffers. Pure: a buffer is a Uint32Array of packed pixels (see packColor),
 * row-major with a stride, such as `new Uint32Array(imageData.data.buffer)`. The page puts the
 * buffer on a canvas in one putImageData; nothing here allocates per cell or touches the DOM.
 */
import { SEQUENTIAL_STEPS } from './color';

/**
 * The tokens [start, end) that pixel `p` covers when `n` tokens span `size` pixels. Pixels never
 * cover an empty range: upsampling repeats a token, downsampling pools a run of tokens.
 */
export function pixelTokens(p: number, size: number, n: number): [number, number] {
  const start = Math.floor((p * n) / size);
  return [start, Math.max(start + 1, Math.floor(((p + 1) * n) / size))];
}

/** The pixels [start, end) whose token range includes token `t` (the inverse of pixelTokens). */
export function tokenPixels(t: number, size: number, n: number): [number, number] {
  const end = Math.ceil(((t + 1) * size) / n);
  return [Math.min(Math.ceil((t * size) / n), end - 1), end];
}

/** Spans of every pixel: starts[p]..ends[p], cached per (size, n) since every thumbnail shares them. */
const spanCache = new Map<number, { starts: Int32Array; ends: Int32Array }>();
function spans(size: number, n: number): { starts: Int32Array; ends: Int32Array } {
  const key = size * 65536 + n;
  let s = spanCache.get(key);
  if (!s) {
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    for (let p = 0; p < size; p++) [starts[p], ends[p]] = pixelTokens(p, size, n);
    s = { starts, ends };
    if (spanCache.size > 64) spanCache.clear();
    spanCache.set(key, s);
  }
  return s;
}

/**
 * Draws one head of an attention pattern as a size × size thumbnail.
 * `src[offset + q * n + k]` is the weight of query q on key k (a layer's [head, query, key] array
 * with offset = head · n²). Pixel (x0 + px, y0 + py) shows the largest weight among the cells it
 * covers (max-pooling keeps a one-token stripe visible at any zoom), through `lut` (weights 0..1,
 * SEQUENTIAL_STEPS entries). Cells above the diagonal that are exactly 0 (the causal mask) get
 * `masked`, so the triangle of allowed positions shows.
 */
export function drawPattern(
  src: ArrayLike<number>,
  offset: number,
  n: number,
  dst: Uint32Array,
  stride: number,
  x0: number,
  y0: number,
  size: number,
  lut: Uint32Array,
  masked: number,
): void {
  const { starts, ends } = spans(size, n);
  const top = lut.length - 1;
  for (let py = 0; py < size; py++) {
    const qs = starts[py]!;
    const qe = ends[py]!;
    let row = (y0 + py) * stride + x0;
    for (let px = 0; px < size; px++, row++) {
      const ks = starts[px]!;
      const ke = ends[px]!;
      let m = 0;
      for (let q = qs; q < qe; q++) {
        const base = offset + q * n;
        for (let k = ks; k < ke; k++) {
          const v = src[base + k]!;
          if (v > m) m = v;
        }
      }
      if (m === 0 && ks >= qe) {
        dst[row] = masked;
      } else {
        dst[row] = lut[m >= 1 ? top : ((m * top + 0.5) | 0)]!;
      }
    }
  }
}

/**
 * One pixel per cell: `dst[y * cols + x]` ← color of `src[offset + y * cols + x]`, through
 * `index` (value → LUT index). `masked(row, col, v)` may give cells their own pixel (the causal mask).
 */
export function drawCells(
  src: ArrayLike<number>,
  offset: number,
  rows: number,
  cols: number,
  dst: Uint32Array,
  lut: Uint32Array,
  index: (v: number) => number,
  masked?: { readonly pixel: number; readonly test: (row: number, col: number, v: number) => boolean },
): void {
  for (let r = 0; r < rows; r++) {
    const base = offset + r * cols;
    const out = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = src[base + c]!;
      dst[out + c] = masked && masked.test(r, c, v) ? masked.pixel : lut[index(v)]!;
    }
  }
}

/** The causal mask of attention patterns: key after query, weight exactly 0. */
export function causalMask(pixel: number): { readonly pixel: number; readonly test: (row: number, col: number, v: number) => boolean } {
  return { pixel, test: (row, col, v) => col > row && v === 0 };
}

/** Fills a rectangle of a pixel buffer (clipped to it). */
export function fillPixels(dst: Uint32Array, stride: number, x: number, y: number, w: number, h: number, pixel: number): void {
  const rows = dst.length / stride;
  const x1 = Math.min(stride, x + w);
  const y1 = Math.min(rows, y + h);
  for (let yy = Math.max(0, y); yy < y1; yy++) dst.fill(pixel, yy * stride + Math.max(0, x), yy * stride + x1);
}

/** LUT index for attention weights (0..1) — matches drawPattern's rounding. */
export function weightIndex(v: number): number {
  const top = SEQUENTIAL_STEPS - 1;
  return v >= 1 ? top : v > 0 ? (v * top + 0.5) | 0 : 0;
}

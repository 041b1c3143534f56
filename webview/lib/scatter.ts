/**
 * Scatter plot math: the plot box inside the canvas, data ↔ pixel mapping, ticks, and hit testing.
 * Pure numbers (CSS pixels); no DOM.
 */

export interface Domain {
  readonly x: readonly [number, number];
  readonly y: readonly [number, number];
}

export interface ScatterLayout {
  /** The plot box. */
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  readonly domain: Domain;
}

export interface ScatterLayoutOptions {
  /** Canvas size, CSS pixels. */
  readonly width: number;
  readonly height: number;
  readonly domain: Domain;
  /** Room for tick labels and axis titles. */
  readonly margin: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  /** One unit on x is as long as one unit on y (the complex plane): the box shrinks to keep it. */
  readonly equalAspect?: boolean;
}

export function scatterLayout(o: ScatterLayoutOptions): ScatterLayout {
  let width = Math.max(1, o.width - o.margin.left - o.margin.right);
  let height = Math.max(1, o.height - o.margin.top - o.margin.bottom);
  let left = o.margin.left;
  let top = o.margin.top;
  if (o.equalAspect) {
    const dx = o.domain.x[1] - o.domain.x[0] || 1;
    const dy = o.domain.y[1] - o.domain.y[0] || 1;
    const scale = Math.min(width / dx, height / dy);
    const w = dx * scale;
    const h = dy * scale;
    left += (width - w) / 2;
    top += (height - h) / 2;
    width = w;
    height = h;
  }
  return { left, top, width, height, domain: o.domain };
}

/** Data → pixel (y grows upward in data, downward on screen). */
export function toPixel(l: ScatterLayout, x: number, y: number): { px: number; py: number } {
  const [x0, x1] = l.domain.x;
  const [y0, y1] = l.domain.y;
  return { px: l.left + ((x - x0) / (x1 - x0 || 1)) * l.width, py: l.top + (1 - (y - y0) / (y1 - y0 || 1)) * l.height };
}

/** Pixel → data. */
export function fromPixel(l: ScatterLayout, px: number, py: number): { x: number; y: number } {
  const [x0, x1] = l.domain.x;
  const [y0, y1] = l.domain.y;
  return { x: x0 + ((px - l.left) / l.width) * (x1 - x0), y: y0 + (1 - (py - l.top) / l.height) * (y1 - y0) };
}

/** The point nearest to (px, py) within `radius` pixels, or undefined. */
export function nearestPoint(l: ScatterLayout, xs: ArrayLike<number>, ys: ArrayLike<number>, px: number, py: number, radius = 8): number | undefined {
  let best: number | undefined;
  let bestD = radius * radius;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const p = toPixel(l, x, y);
    const d = (p.px - px) ** 2 + (p.py - py) ** 2;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** About `count` round tick values covering [min, max] (steps of 1, 2 or 5 × 10ⁿ). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return Number.isFinite(min) ? [min] : [];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return ticks;
}

/** A symmetric domain [−m, m] holding every finite value (at least `floor`), padded by 8 %. */
export function symmetricExtent(values: ArrayLike<number>, floor = 0): number {
  let m = floor;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (Number.isFinite(a) && a > m) m = a;
  }
  return m > 0 ? m * 1.08 : 1;
}

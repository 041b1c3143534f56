/**
 * Colors and color scales for the canvas views. Pure: no DOM. Colors come from the theme's CSS
 * variables (read by the caller) so heatmaps follow light, dark and high-contrast themes; a scale
 * is a lookup table of packed pixels, ready to write into an ImageData's Uint32 view.
 */

export interface Rgba {
  readonly r: number; // 0..255
  readonly g: number;
  readonly b: number;
  readonly a: number; // 0..1
}

/** Whether this machine stores a Uint32's low byte first (true on every platform VS Code runs on). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A color as one 32-bit pixel in ImageData byte order (R, G, B, A in memory). */
export function packColor(c: Rgba): number {
  const r = clampByte(c.r);
  const g = clampByte(c.g);
  const b = clampByte(c.b);
  const a = clampByte(c.a * 255);
  return LITTLE_ENDIAN ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

/** Inverse of packColor. */
export function unpackColor(pixel: number): Rgba {
  if (LITTLE_ENDIAN) return { r: pixel & 255, g: (pixel >>> 8) & 255, b: (pixel >>> 16) & 255, a: ((pixel >>> 24) & 255) / 255 };
  return { r: (pixel >>> 24) & 255, g: (pixel >>> 16) & 255, b: (pixel >>> 8) & 255, a: (pixel & 255) / 255 };
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/**
 * Parses the color syntaxes VS Code themes produce: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`,
 * `rgb(…)` and `rgba(…)` (comma or space separated, alpha as a number or a percentage).
 */
export function parseColor(text: string | undefined): Rgba | undefined {
  if (!text) return undefined;
  const s = text.trim().toLowerCase();
  const hex = /^#([0-9a-f]{3,8})$/.exec(s);
  if (hex) {
    const h = hex[1]!;
    if (h.length === 3 || h.length === 4) {
      const d = (i: number) => parseInt(h[i]! + h[i]!, 16);
      return { r: d(0), g: d(1), b: d(2), a: h.length === 4 ? d(3) / 255 : 1 };
    }
    if (h.length === 6 || h.length === 8) {
      const d = (i: number) => parseInt(h.slice(i, i + 2), 16);
      return { r: d(0), g: d(2), b: d(4), a: h.length === 8 ? d(6) / 255 : 1 };
    }
    return undefined;
  }
  const fn = /^rgba?\(([^)]*)\)$/.exec(s);
  if (fn) {
    const parts = fn[1]!.split(/[\s,/]+/).filter((p) => p.length > 0);
    if (parts.length < 3 || parts.length > 4) return undefined;
    const channel = (p: string) => (p.endsWith('%') ? (parseFloat(p) / 100) * 255 : parseFloat(p));
    const [r, g, b] = parts.slice(0, 3).map(channel) as [number, number, number];
    const a = parts[3] === undefined ? 1 : parts[3].endsWith('%') ? parseFloat(parts[3]) / 100 : parseFloat(parts[3]);
    if ([r, g, b, a].some((v) => !Number.isFinite(v))) return undefined;
    return { r, g, b, a: Math.min(1, Math.max(0, a)) };
  }
  return undefined;
}

/** Linear interpolation between two colors, t in [0, 1]. */
export function mix(from: Rgba, to: Rgba, t: number): Rgba {
  const u = t <= 0 ? 0 : t >= 1 ? 1 : t;
  return {
    r: from.r + (to.r - from.r) * u,
    g: from.g + (to.g - from.g) * u,
    b: from.b + (to.b - from.b) * u,
    a: from.a + (to.a - from.a) * u,
  };
}

/** A translucent color painted over an opaque one, as the canvas would composite it. */
export function over(top: Rgba, bottom: Rgba): Rgba {
  const a = top.a;
  return { r: top.r * a + bottom.r * (1 - a), g: top.g * a + bottom.g * (1 - a), b: top.b * a + bottom.b * (1 - a), a: 1 };
}

/** CSS text for a color, for canvas fillStyle and element styles. */
export function cssColor(c: Rgba, alpha = c.a): string {
  return `rgba(${Math.round(c.r)}, ${Math.round(c.g)}, ${Math.round(c.b)}, ${+alpha.toFixed(3)})`;
}

/** Relative luminance (WCAG), for choosing readable text over a cell. */
export function luminance(c: Rgba): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

/** Of two text colors, the one with the higher contrast ratio on `ground`. */
export function readableOn(ground: Rgba, a: Rgba, b: Rgba): Rgba {
  const ratio = (x: Rgba) => {
    const l1 = luminance(x);
    const l2 = luminance(ground);
    return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  };
  return ratio(a) >= ratio(b) ? a : b;
}

/** Number of entries in a sequential lookup table. */
export const SEQUENTIAL_STEPS = 256;
/** Number of entries in a diverging lookup table: odd, so zero has its own middle entry. */
export const DIVERGING_STEPS = 257;

/** A sequential scale for values in [0, 1]: entry 0 is `low`, the last entry is `high`. */
export function sequentialLut(low: Rgba, high: Rgba, steps = SEQUENTIAL_STEPS): Uint32Array {
  const lut = new Uint32Array(steps);
  for (let i = 0; i < steps; i++) lut[i] = packColor(mix(low, high, i / (steps - 1)));
  return lut;
}

/**
 * A diverging scale centered on zero: entry 0 is `negative` (−max), the middle entry is exactly
 * `neutral` (0), the last is `positive` (+max).
 */
export function divergingLut(negative: Rgba, neutral: Rgba, positive: Rgba, steps = DIVERGING_STEPS): Uint32Array {
  if (steps % 2 === 0) throw new RangeError('a diverging scale needs an odd number of steps');
  const lut = new Uint32Array(steps);
  const half = (steps - 1) / 2;
  for (let i = 0; i < steps; i++) {
    lut[i] = packColor(i < half ? mix(negative, neutral, i / half) : mix(neutral, positive, (i - half) / half));
  }
  return lut;
}

/** LUT index of v in [0, 1] (clamped; NaN maps to 0). */
export function sequentialIndex(v: number, steps = SEQUENTIAL_STEPS): number {
  if (!(v > 0)) return 0;
  if (v >= 1) return steps - 1;
  return Math.round(v * (steps - 1));
}

/** LUT index of v on a diverging scale spanning [−maxAbs, +maxAbs] (clamped; NaN and 0 map to the middle). */
export function divergingIndex(v: number, maxAbs: number, steps = DIVERGING_STEPS): number {
  const half = (steps - 1) / 2;
  if (Number.isNaN(v) || v === 0) return half;
  if (!(maxAbs > 0)) return v > 0 ? steps - 1 : 0;
  const t = v / maxAbs;
  if (t >= 1) return steps - 1;
  if (t <= -1) return 0;
  return half + Math.round(t * half);
}

/** Largest |v| over the finite values of `values` (0 when there are none). */
export function maxAbs(values: ArrayLike<number>, start = 0, end = values.length): number {
  let m = 0;
  for (let i = start; i < end; i++) {
    const a = Math.abs(values[i]!);
    if (a > m && a !== Infinity) m = a;
  }
  return m;
}

/** Largest finite value of `values` (−Infinity when none). */
export function maxValue(values: ArrayLike<number>, start = 0, end = values.length): number {
  let m = -Infinity;
  for (let i = start; i < end; i++) {
    const v = values[i]!;
    if (v > m && v !== Infinity) m = v;
  }
  return m;
}

/** The colors every canvas view uses, resolved from the theme. */
export interface Palette {
  /** Editor background: the canvas ground and the neutral of diverging scales. */
  readonly background: Rgba;
  readonly foreground: Rgba;
  /** Secondary text (axis labels). */
  readonly muted: Rgba;
  /** Attention weight 1 / positive values. */
  readonly accent: Rgba;
  /** Negative values on diverging scales. */
  readonly negative: Rgba;
  /** Outline of the locked head and focused items. */
  readonly focus: Rgba;
  /** Outline of a hovered item. */
  readonly hover: Rgba;
  /** Weight 0 on the attention scale: a faint tint, so allowed cells stand out from masked ones. */
  readonly low: Rgba;
  readonly font: string;
  readonly monoFont: string;
  /** True for high-contrast themes: outlines get thicker. */
  readonly highContrast: boolean;
  /** Attention scale (weights 0..1), SEQUENTIAL_STEPS entries. */
  readonly attentionLut: Uint32Array;
  /** Diverging scale, DIVERGING_STEPS entries. */
  readonly divergingLut: Uint32Array;
  /** Pixel for masked cells (causal mask: key after query). */
  readonly maskedPixel: number;
  /** Pixel for the canvas ground. */
  readonly backgroundPixel: number;
}

/**
 * Builds the palette from a CSS variable reader (`name` → value, '' when unset) so the same code
 * serves the live page (getComputedStyle) and the tests (a plain object).
 */
export function paletteFromTheme(read: (name: string) => string, themeKind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light' = 'dark'): Palette {
  const find = (names: readonly string[]): Rgba | undefined => {
    for (const name of names) {
      const c = parseColor(read(name));
      if (c) return c;
    }
    return undefined;
  };
  const light = themeKind === 'light' || themeKind === 'high-contrast-light';
  const background = { ...(find(['--vscode-editor-background', '--vscode-sideBar-background']) ?? parseColor(light ? '#ffffff' : '#1e1e1e')!), a: 1 };
  const foreground = over(find(['--vscode-editor-foreground', '--vscode-foreground']) ?? parseColor(light ? '#3b3b3b' : '#cccccc')!, background);
  const mutedColor = find(['--vscode-descriptionForeground']);
  const muted = mutedColor ? over(mutedColor, background) : mix(background, foreground, 0.7);
  const accent = over(find(['--vscode-charts-blue', '--vscode-textLink-foreground']) ?? parseColor(light ? '#1a85ff' : '#3794ff')!, background);
  const negative = over(find(['--vscode-charts-red', '--vscode-errorForeground']) ?? parseColor(light ? '#e51400' : '#f14c4c')!, background);
  const focus = find(['--vscode-focusBorder']) ?? parseColor('#0078d4')!;
  const hover = find(['--vscode-contrastActiveBorder', '--vscode-editor-foreground', '--vscode-foreground']) ?? foreground;
  const highContrast = themeKind === 'high-contrast' || themeKind === 'high-contrast-light';
  const low = mix(background, foreground, highContrast ? 0.12 : 0.07);
  const family = read('--vscode-font-family').trim() || 'system-ui, sans-serif';
  const monoFamily = read('--vscode-editor-font-family').trim() || 'monospace';
  return {
    background,
    foreground,
    muted,
    accent,
    negative,
    focus,
    hover,
    low,
    font: family,
    monoFont: monoFamily,
    highContrast,
    attentionLut: sequentialLut(low, accent),
    divergingLut: divergingLut(negative, background, accent),
    maskedPixel: packColor(background),
    backgroundPixel: packColor(background),
  };
}

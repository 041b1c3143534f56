/** Color scales of heatmaps: which lookup table a value goes through, at which index, and the legend's labels. Pure. */
import { divergingIndex, sequentialIndex, type Palette } from './color';
import { formatNumber } from './format';
import { weightIndex } from './raster';

export type HeatScale =
  /** Attention weights, fixed 0..1 so heads compare. */
  | { readonly kind: 'attention' }
  /** 0..max on the attention colors (scores that are never negative). */
  | { readonly kind: 'sequential'; readonly max: number }
  /** Centered on zero, ±maxAbs at the ends. */
  | { readonly kind: 'diverging'; readonly maxAbs: number };

export function scaleLut(p: Palette, scale: HeatScale): Uint32Array {
  return scale.kind === 'diverging' ? p.divergingLut : p.attentionLut;
}

/** The value → LUT index function of a scale. */
export function scaleIndex(scale: HeatScale): (v: number) => number {
  switch (scale.kind) {
    case 'attention':
      return weightIndex;
    case 'sequential': {
      const max = scale.max;
      return (v) => sequentialIndex(max > 0 ? v / max : v > 0 ? 1 : 0);
    }
    case 'diverging': {
      const m = scale.maxAbs;
      return (v) => divergingIndex(v, m);
    }
  }
}

/** The [low, middle, high] labels of a scale. */
export function scaleLabels(scale: HeatScale): [string, string, string] {
  switch (scale.kind) {
    case 'attention':
      return ['0', '0.5', '1'];
    case 'sequential':
      return ['0', formatNumber(scale.max / 2, 3), formatNumber(scale.max, 3)];
    case 'diverging':
      return [formatNumber(-scale.maxAbs, 3), '0', formatNumber(scale.maxAbs, 3)];
  }
}

/** Number and text formatting for the panel. Pure. */
import type { Predictions } from '../../src/protocol/engine';

/** 124439808 → "124.4M", 1.2e9 → "1.20B", 5300 → "5.30K", 12 → "12". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units: [number, string][] = [
    [1e3, 'K'],
    [1e6, 'M'],
    [1e9, 'B'],
    [1e12, 'T'],
  ];
  const digits = (v: number) => (Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  let u = -1;
  while (u + 1 < units.length && Math.abs(n) >= units[u + 1]![0]) u++;
  if (u < 0) return String(n);
  // Rounding can reach the next unit: 999,999 → "1000.0K" → "1.00M".
  if (u + 1 < units.length && Math.abs(Number(digits(n / units[u]![0]))) >= 1000) u++;
  return `${digits(n / units[u]![0])}${units[u]![1]}`;
}

/** Thousands separators without the locale: 124439808 → "124,439,808". */
export function formatInteger(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  return sign + Math.round(Math.abs(n)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Bytes in binary units: 1536 → "1.5 KiB", 497759232 → "474.7 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return String(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

/** [768, 2304] → "768 × 2304"; a scalar → "scalar". */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join(' × ');
}

/**
 * A statistic or matrix entry in 4 significant digits: plain for 1e-3 ≤ |v| < 1e5, exponent
 * otherwise; −0 shows as 0; NaN and ±∞ by name. Uses a real minus sign.
 */
export function formatNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  let text: string;
  if (abs >= 1e-3 && abs < 1e5) {
    text = Number(v.toPrecision(digits)).toString();
  } else {
    const [mantissa, exponent] = v.toExponential(digits - 1).split('e') as [string, string];
    text = `${Number(mantissa).toString()}e${exponent.replace('+', '')}`;
  }
  return text.replace(/-/g, '−');
}

/** A probability as a percentage: 0.1234 → "12.3%", 0.00042 → "0.042%", 1 → "100%". */
export function formatProb(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  const pct = p * 100;
  if (pct >= 99.95) return '100%';
  if (pct >= 10) return `${pct.toFixed(1)}%`;
  if (pct >= 0.1) return `${pct.toFixed(2)}%`;
  if (pct === 0) return '0%';
  return `${Number(pct.toPrecision(2))}%`;
}

/** One ranked prediction at a position. */
export interface PredictionRow {
  readonly rank: number;
  readonly id: number;
  readonly text: string;
  readonly prob: number;
}

/**
 * The top-k predictions at `pos`, best first. `Predictions` is row-major [pos, k]; display strings
 * come from `predictions.strings` when the model has a tokenizer, otherwise the id.
 */
export function topPredictions(p: Predictions, pos: number): PredictionRow[] {
  const positions = p.k > 0 ? Math.floor(p.ids.length / p.k) : 0;
  if (pos < 0 || pos >= positions) return [];
  const rows: PredictionRow[] = [];
  for (let r = 0; r < p.k; r++) {
    const i = pos * p.k + r;
    rows.push({ rank: r + 1, id: p.ids[i]!, text: p.strings?.[i] ?? `#${p.ids[i]}`, prob: p.probs[i]! });
  }
  rows.sort((a, b) => b.prob - a.prob || a.rank - b.rank);
  return rows.map((row, i) => ({ ...row, rank: i + 1 }));
}

/** Positions that have predictions. */
export function predictionPositions(p: Predictions): number {
  return p.k > 0 ? Math.floor(p.ids.length / p.k) : 0;
}

/** The probability of a next-token loss (cross-entropy in nats): p = e^(−loss). */
export function lossToProb(loss: number): number {
  return Math.exp(-loss);
}

/** A file name from free text: keeps letters, digits, dot, dash and underscore. */
export function safeFileName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-+/g, '-').replace(/^[-.]+|-+$/g, '');
  return cleaned.length > 0 ? cleaned : 'export';
}

/** The model's short name from its path: the file (without .safetensors / .gguf) or, for a folder or index, the folder. */
export function modelName(path: string | undefined): string {
  if (!path) return '';
  const parts = path.split(/[\\/]+/).filter((p) => p.length > 0);
  let last = parts[parts.length - 1] ?? '';
  if (/^model(-\d+-of-\d+)?\.safetensors(\.index\.json)?$/.test(last) || last === 'model.safetensors.index.json') {
    last = parts[parts.length - 2] ?? last;
  }
  return last.replace(/\.(safetensors|gguf)$/, '');
}

/** Export file name without extension: "<model>-<what>", made safe for any file system. */
export function exportBaseName(modelPath: string | undefined, what: string): string {
  const model = modelName(modelPath);
  return safeFileName(model ? `${model}-${what}` : what);
}

/** Export file name: "<model>-<what>.<ext>". */
export function exportFileName(modelPath: string | undefined, what: string, ext: string): string {
  return `${exportBaseName(modelPath, what)}.${ext}`;
}

/** "L3H5" */
export function headName(layer: number, head: number): string {
  return `L${layer}H${head}`;
}

/** Mean of the finite values (NaN when none). */
export function finiteMean(values: ArrayLike<number>): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
  }
  return count > 0 ? sum / count : NaN;
}

/**
 * Llama 3.1+ RoPE scaling from a GGUF file. llama.cpp does not store the `rope_scaling` parameters
 * of the config; its converter writes their effect instead, a `rope_freqs.weight` tensor of one
 * divisor per rotated pair (LlamaModel.generate_extra_tensors):
 *
 *   r_i = 1 for short wavelengths, `factor` for long ones, 1 / ((1 − s_i)/factor + s_i) between,
 *   s_i = (original_context / λ_i − low_freq_factor) / (high_freq_factor − low_freq_factor).
 *
 * s is linear in 1/λ (s = A/λ + B) and r is the same formula clamped (s ≥ 1 gives 1, s ≤ 0 gives
 * `factor`), so the divisors fix `factor`, A and B, and any (original_context, low, high) with
 * those A and B reproduces them exactly. We fit them from the divisors, recompute every divisor
 * and accept the fit only when all match, so the forward pass uses Hugging Face's `llama3`
 * scaling with frequencies identical to the file's.
 */

/** Hugging Face `rope_scaling` for `rope_type: llama3`. */
export interface Llama3RopeScaling {
  readonly rope_type: 'llama3';
  readonly factor: number;
  readonly low_freq_factor: number;
  readonly high_freq_factor: number;
  readonly original_max_position_embeddings: number;
}

const f32 = Math.fround;
/** Relative agreement required between the file's divisors and the recomputed ones (float32 noise). */
const TOLERANCE = 1e-4;

/** Wavelength of each rotated pair, from float32 inverse frequencies as the converter computes them. */
function wavelengths(base: number, dims: number): number[] {
  return Array.from({ length: dims / 2 }, (_, i) => (2 * Math.PI) / f32(1 / f32(Math.pow(base, f32((2 * i) / dims)))));
}

/** The divisors a scaling gives, by the rule Hugging Face and llama.cpp share. */
export function llama3Divisors(scaling: Llama3RopeScaling, base: number, dims: number): number[] {
  const lowWavelen = scaling.original_max_position_embeddings / scaling.low_freq_factor;
  const highWavelen = scaling.original_max_position_embeddings / scaling.high_freq_factor;
  return wavelengths(base, dims).map((wavelen) => {
    if (wavelen < highWavelen) return 1;
    if (wavelen > lowWavelen) return scaling.factor;
    const smooth = (scaling.original_max_position_embeddings / wavelen - scaling.low_freq_factor) / (scaling.high_freq_factor - scaling.low_freq_factor);
    return 1 / ((1 - smooth) / scaling.factor + smooth);
  });
}

const close = (a: number, b: number) => Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(b));

/**
 * The llama3 scaling whose divisors are `divisors` (one per rotated pair of a head of `dims`
 * rotated dimensions, RoPE base `base`); null when every divisor is 1 (no scaling); undefined when
 * no llama3 scaling reproduces them.
 */
export function llama3ScalingFromDivisors(divisors: ArrayLike<number>, base: number, dims: number): Llama3RopeScaling | null | undefined {
  const r = Array.from(divisors);
  if (r.length !== dims / 2 || r.some((x) => !(Number.isFinite(x) && x > 0))) return undefined;
  const factor = Math.max(...r);
  if (close(factor, 1) && r.every((x) => close(x, 1))) return null;
  if (!(factor > 1)) return undefined;
  const lambda = wavelengths(base, dims);
  const smooth: { x: number; s: number }[] = [];
  let longestShort = 0; // longest wavelength left unscaled
  let shortestLong = Infinity; // shortest wavelength scaled by the full factor
  r.forEach((divisor, i) => {
    if (close(divisor, 1)) longestShort = Math.max(longestShort, lambda[i]!);
    else if (close(divisor, factor)) shortestLong = Math.min(shortestLong, lambda[i]!);
    else smooth.push({ x: 1 / lambda[i]!, s: (1 / divisor - 1 / factor) / (1 - 1 / factor) });
  });

  let A: number;
  let B: number;
  if (smooth.length >= 2) {
    const first = smooth[0]!;
    const last = smooth[smooth.length - 1]!;
    A = (last.s - first.s) / (last.x - first.x);
    B = first.s - A * first.x;
  } else if (smooth.length === 0 && longestShort < shortestLong && Number.isFinite(shortestLong)) {
    // No blended pair: put s = 0 at the shortest fully scaled wavelength and s = 1 at the longest
    // unscaled one (or halfway to zero when there is none).
    const high = longestShort > 0 ? longestShort : shortestLong / 2;
    A = 1 / (1 / high - 1 / shortestLong);
    B = -A / shortestLong;
  } else {
    return undefined;
  }
  if (!(A > 0 && B < 0)) return undefined;
  // With low_freq_factor 1: high − low = −1/B and original_context = A · (high − low).
  const scaling: Llama3RopeScaling = {
    rope_type: 'llama3',
    factor,
    low_freq_factor: 1,
    high_freq_factor: 1 - 1 / B,
    original_max_position_embeddings: -A / B,
  };
  const recomputed = llama3Divisors(scaling, base, dims);
  return recomputed.every((x, i) => close(x, r[i]!)) ? scaling : undefined;
}

/** Summary statistics of a tensor's values, for the model card's tensor table. */
import type { TensorStats } from '../../protocol/engine';

/** Moments over the finite values; NaN and ±Inf are counted separately so one bad value shows. */
export function tensorStats(values: Float32Array): TensorStats {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let nanCount = 0;
  let infCount = 0;
  for (const v of values) {
    if (Number.isNaN(v)) nanCount++;
    else if (!Number.isFinite(v)) infCount++;
    else {
      count++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const mean = count ? sum / count : NaN;
  // Second pass for the variance: stable where sum-of-squares would cancel.
  let squares = 0;
  for (const v of values) if (Number.isFinite(v)) squares += (v - mean) ** 2;
  return {
    count,
    mean,
    std: count ? Math.sqrt(squares / count) : NaN,
    min: count ? min : NaN,
    max: count ? max : NaN,
    absMax: count ? Math.max(Math.abs(min), Math.abs(max)) : NaN,
    nanCount,
    infCount,
  };
}

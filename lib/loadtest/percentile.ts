/**
 * The nearest-rank percentile of values sorted ascending (`p` in (0, 100]): the smallest value with at
 * least p% of the values at or below it, so it is always a measured value. Undefined for no values.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The values sorted ascending, as a typed array (numeric order, not string order). */
export function sortedCopy(values: readonly number[] | Float64Array): Float64Array {
  return Float64Array.from(values).sort();
}

/** Nearest-rank quantile of an ascending array (NaN when empty): the one every bench reports. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  const pos = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[pos]!
}

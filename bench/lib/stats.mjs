/** Order statistics for benchmark samples. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}

/** `{ n, median, p99, max, mean }` of `samples` (milliseconds unless said otherwise). */
export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  return {
    n,
    median: quantile(s, 0.5),
    p95: quantile(s, 0.95),
    p99: quantile(s, 0.99),
    max: n ? s[n - 1] : null,
    mean: n ? s.reduce((a, b) => a + b, 0) / n : null,
  };
}

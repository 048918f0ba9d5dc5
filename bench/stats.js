// Small statistics over arrays of numbers (NaN and null are left out).

function clean(values) {
  return values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
}

/** Nearest-rank percentile, p in [0, 100]; null for no values. */
export function percentile(values, p) {
  const sorted = clean(values);
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Median (mean of the middle two for an even count); null for no values. */
export function median(values) {
  const sorted = clean(values);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function max(values) {
  const sorted = clean(values);
  return sorted.length ? sorted[sorted.length - 1] : null;
}

/** a - b, or null when either is missing. */
export function minus(a, b) {
  return a == null || b == null ? null : a - b;
}

/** a / b, or null when either is missing or b is 0. */
export function ratio(a, b) {
  return a == null || b == null || b === 0 ? null : a / b;
}

/**
 * Finding the first non-finite number in metrics and in plain state (weights, optimiser
 * moments, replay contents), so a diverged run stops before it overwrites good files.
 */

/** Where a non-finite value was found and what it was. */
export interface NonFinite {
  /** Dotted path of the value (`algorithm.critics.weights.critics/3[17]`). */
  path: string;
  value: number;
}

/** The first metric that is NaN or infinite, or null. */
export function nonFiniteMetric(metrics: Record<string, number>): NonFinite | null {
  for (const [key, value] of Object.entries(metrics)) {
    if (!Number.isFinite(value)) return { path: key, value };
  }
  return null;
}

/**
 * The first NaN or infinite number anywhere in `value` (float arrays, numbers, nested
 * objects and arrays), with its path under `root`; null when every number is finite.
 */
export function findNonFinite(value: unknown, root: string): NonFinite | null {
  if (typeof value === "number") return Number.isFinite(value) ? null : { path: root, value };
  if (value instanceof Float32Array || value instanceof Float64Array) {
    for (let i = 0; i < value.length; i++) {
      if (!Number.isFinite(value[i])) return { path: `${root}[${i}]`, value: value[i] };
    }
    return null;
  }
  if (ArrayBuffer.isView(value) || value === null || typeof value !== "object") return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNonFinite(value[i], `${root}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  for (const [key, v] of Object.entries(value)) {
    const found = findNonFinite(v, `${root}.${key}`);
    if (found) return found;
  }
  return null;
}

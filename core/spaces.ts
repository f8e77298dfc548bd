/** A box in R^n: the observation and action spaces of every env. */
export interface Box {
  /** Lower bounds, one per dimension (may be -Infinity). */
  readonly low: Float32Array;
  /** Upper bounds, one per dimension (may be +Infinity). */
  readonly high: Float32Array;
  /** Shape; this framework uses flat vectors, so shape is `[n]`. */
  readonly shape: readonly number[];
}

/** Builds a flat Box from bounds given as numbers (broadcast) or arrays. */
export function box(
  low: number | ArrayLike<number>,
  high: number | ArrayLike<number>,
  size?: number,
): Box {
  const n = size ?? (typeof low === "number" ? (high as ArrayLike<number>).length : low.length);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`box: size must be a positive integer`);
  const fill = (v: number | ArrayLike<number>, what: string) => {
    const out = new Float32Array(n);
    if (typeof v === "number") out.fill(v);
    else {
      if (v.length !== n) throw new Error(`box: ${what} has length ${v.length}, expected ${n}`);
      out.set(v);
    }
    return out;
  };
  const lo = fill(low, "low");
  const hi = fill(high, "high");
  for (let i = 0; i < n; i++) {
    if (!(lo[i] <= hi[i])) throw new Error(`box: low[${i}]=${lo[i]} > high[${i}]=${hi[i]}`);
  }
  return { low: lo, high: hi, shape: [n] };
}

/** Number of scalars in a Box. */
export function boxSize(space: Box): number {
  return space.shape.reduce((a, b) => a * b, 1);
}

/** True when every bound of the Box is finite (required of action spaces). */
export function isBounded(space: Box): boolean {
  for (let i = 0; i < space.low.length; i++) {
    if (!Number.isFinite(space.low[i]) || !Number.isFinite(space.high[i])) return false;
  }
  return true;
}

/**
 * Maps unbounded latents `u` to the action Box: `low + (clip(tanh(u), -0.999, 0.999) + 1) / 2 *
 * (high - low)`. This is the env-boundary squash every policy uses; the 0.999 clip keeps the
 * inverse finite.
 */
export function squashToBox(
  u: Float32Array,
  space: Box,
  out: Float32Array = new Float32Array(u.length),
): Float32Array {
  for (let i = 0; i < u.length; i++) out[i] = Math.min(0.999, Math.max(-0.999, Math.tanh(u[i])));
  return scaleToBox(out, space, out);
}

/** Maps `y` in [-1, 1] (per dimension) affinely onto the action Box. */
export function scaleToBox(
  y: Float32Array,
  space: Box,
  out: Float32Array = new Float32Array(y.length),
): Float32Array {
  const n = space.low.length;
  for (let i = 0; i < y.length; i++) {
    const d = i % n;
    out[i] = space.low[d] + 0.5 * (y[i] + 1) * (space.high[d] - space.low[d]);
  }
  return out;
}

/**
 * dm_control's `rewards.tolerance`: a soft indicator of `x` lying inside `[lower, upper]`,
 * 1 inside the bounds and falling off with the distance to the nearest bound through one of
 * eight sigmoids, scaled so that the value at `margin` distance is `valueAtMargin`.
 */

/** The sigmoids `tolerance` knows (dm_control's names). */
export type Sigmoid =
  | "gaussian"
  | "hyperbolic"
  | "long_tail"
  | "reciprocal"
  | "cosine"
  | "linear"
  | "quadratic"
  | "tanh_squared";

/** Every {@link Sigmoid}, in dm_control's order. */
export const SIGMOIDS: readonly Sigmoid[] = [
  "gaussian",
  "hyperbolic",
  "long_tail",
  "reciprocal",
  "cosine",
  "linear",
  "quadratic",
  "tanh_squared",
];

/** dm_control's `_DEFAULT_VALUE_AT_MARGIN`. */
export const DEFAULT_VALUE_AT_MARGIN = 0.1;

/** Options of {@link tolerance}; the defaults are dm_control's. */
export interface ToleranceOptions {
  /** Inclusive `[lower, upper]` target interval (may be infinite); default `[0, 0]`. */
  bounds?: readonly [number, number];
  /** Distance over which the value falls to `valueAtMargin`; 0 makes a hard indicator. */
  margin?: number;
  /** Default `gaussian`. */
  sigmoid?: Sigmoid;
  /** Value at `margin` distance from the bounds; default 0.1. Ignored when `margin` is 0. */
  valueAtMargin?: number;
}

/**
 * dm_control's `_sigmoids`: 1 at `x = 0`, `valueAt1` at `x = 1`, for `x >= 0`. Throws when
 * `valueAt1` is outside `(0, 1)` (`[0, 1)` for cosine, linear and quadratic).
 */
export function sigmoid(x: number, valueAt1: number, kind: Sigmoid): number {
  const allowsZero = kind === "cosine" || kind === "linear" || kind === "quadratic";
  if (allowsZero ? !(valueAt1 >= 0 && valueAt1 < 1) : !(valueAt1 > 0 && valueAt1 < 1)) {
    throw new RangeError(
      `tolerance: valueAtMargin must be in ${allowsZero ? "[0, 1)" : "(0, 1)"} for the ` +
        `${kind} sigmoid, got ${valueAt1}`,
    );
  }
  switch (kind) {
    case "gaussian": {
      const scale = Math.sqrt(-2 * Math.log(valueAt1));
      return Math.exp(-0.5 * (x * scale) ** 2);
    }
    case "hyperbolic": {
      const scale = Math.acosh(1 / valueAt1);
      return 1 / Math.cosh(x * scale);
    }
    case "long_tail": {
      const scale = Math.sqrt(1 / valueAt1 - 1);
      return 1 / ((x * scale) ** 2 + 1);
    }
    case "reciprocal": {
      const scale = 1 / valueAt1 - 1;
      return 1 / (Math.abs(x) * scale + 1);
    }
    case "cosine": {
      const scaled = x * (Math.acos(2 * valueAt1 - 1) / Math.PI);
      return Math.abs(scaled) < 1 ? (1 + Math.cos(Math.PI * scaled)) / 2 : 0;
    }
    case "linear": {
      const scaled = x * (1 - valueAt1);
      return Math.abs(scaled) < 1 ? 1 - scaled : 0;
    }
    case "quadratic": {
      const scaled = x * Math.sqrt(1 - valueAt1);
      return Math.abs(scaled) < 1 ? 1 - scaled * scaled : 0;
    }
    case "tanh_squared": {
      const scale = Math.atanh(Math.sqrt(1 - valueAt1));
      return 1 - Math.tanh(x * scale) ** 2;
    }
    default:
      throw new RangeError(
        `tolerance: unknown sigmoid '${kind as string}'; allowed: ${SIGMOIDS.join(", ")}`,
      );
  }
}

/**
 * 1 when `lower <= x <= upper`, else `sigmoid(distance / margin)` (0 when `margin` is 0).
 * Throws when `lower > upper` or `margin < 0`, as dm_control does.
 */
export function tolerance(x: number, options: ToleranceOptions = {}): number {
  const {
    bounds = [0, 0],
    margin = 0,
    sigmoid: kind = "gaussian",
    valueAtMargin = DEFAULT_VALUE_AT_MARGIN,
  } = options;
  const [lower, upper] = bounds;
  if (lower > upper) throw new RangeError(`tolerance: lower bound ${lower} > upper ${upper}`);
  if (!(margin >= 0)) throw new RangeError(`tolerance: margin must be >= 0, got ${margin}`);
  const inBounds = lower <= x && x <= upper;
  if (margin === 0) return inBounds ? 1 : 0;
  // dm_control evaluates the sigmoid (and so checks valueAtMargin) inside the bounds too.
  const value = sigmoid((x < lower ? lower - x : x - upper) / margin, valueAtMargin, kind);
  return inBounds ? 1 : value;
}

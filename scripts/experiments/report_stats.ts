/**
 * Small pure statistics for experiment reports: percentiles, the interquartile mean, a seeded
 * percentile bootstrap, and per-step aggregation of evaluation curves over seeds.
 */
import { meanStd, Rng } from "../../core/mod.ts";

/**
 * The `q`-quantile (`q` in [0, 1]) of `values` with linear interpolation between order
 * statistics (numpy's default): position `q * (n - 1)` in the sorted values. NaN when empty.
 */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = Math.min(Math.max(q, 0), 1) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Interquartile mean: the mean of the values left after dropping the `floor(n / 4)` lowest and
 * the `floor(n / 4)` highest (scipy's `trim_mean(x, 0.25)`, as rliable computes the IQM). With
 * fewer than 4 values nothing is dropped. NaN when empty.
 */
export function iqm(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(sorted.length / 4);
  const middle = sorted.slice(cut, sorted.length - cut);
  return middle.reduce((a, b) => a + b, 0) / middle.length;
}

/** Options of {@link bootstrapInterval}. */
export interface BootstrapOptions {
  /** Number of resamples (default 2,000). */
  resamples?: number;
  /** Coverage of the interval (default 0.95). */
  confidence?: number;
  /** Seed of the resampling generator (default 0). */
  seed?: number;
}

/**
 * Percentile bootstrap interval of `statistic` over `values`: draws `resamples` samples of the
 * same size with replacement (indices from the seeded {@link Rng}), applies `statistic` to
 * each, and returns the `(1 - confidence) / 2` and `(1 + confidence) / 2` percentiles (see
 * {@link percentile}). The same inputs and seed give the same interval. NaNs when empty.
 */
export function bootstrapInterval(
  values: number[],
  statistic: (sample: number[]) => number,
  { resamples = 2000, confidence = 0.95, seed = 0 }: BootstrapOptions = {},
): [number, number] {
  if (values.length === 0) return [NaN, NaN];
  const rng = new Rng(seed);
  const n = values.length;
  const stats = new Array<number>(resamples);
  const sample = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[rng.int(n)];
    stats[b] = statistic(sample);
  }
  const alpha = (1 - confidence) / 2;
  return [percentile(stats, alpha), percentile(stats, 1 - alpha)];
}

/** One point of a curve aggregated over seeds. */
export interface AggregatePoint {
  step: number;
  /** Mean over the seeds that evaluated at this step. */
  mean: number;
  /** Population standard deviation over those seeds (0 for one seed). */
  std: number;
  /** How many seeds evaluated at this step. */
  n: number;
}

/**
 * Aggregates evaluation curves of several seeds step by step: at every step any seed
 * evaluated at, the mean and standard deviation of the seeds' returns there. Seeds of one
 * configuration evaluate at the same steps, so a shorter (unfinished) run simply contributes
 * to fewer points.
 */
export function aggregateCurves(curves: { step: number; mean: number }[][]): AggregatePoint[] {
  const byStep = new Map<number, number[]>();
  for (const curve of curves) {
    for (const { step, mean } of curve) {
      if (!byStep.has(step)) byStep.set(step, []);
      byStep.get(step)!.push(mean);
    }
  }
  return [...byStep.entries()]
    .sort(([a], [b]) => a - b)
    .map(([step, values]) => ({ step, ...meanStd(values), n: values.length }));
}

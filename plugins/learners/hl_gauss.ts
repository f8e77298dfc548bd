/**
 * HL-Gauss (Imani & White 2018; Farebrother et al. 2024), the categorical value encoding of
 * REPPO's critic: a scalar target y becomes the masses that a Gaussian N(clip(y), sigma^2),
 * sigma = 0.75 bin widths, puts on `bins` equal bins whose centres run from vmin to vmax,
 * renormalised to the support (REPPO's `utils.hl_gauss`). The critic is trained by cross
 * entropy to these masses and reads its value as the expectation of the bin centres under
 * its softmax.
 */
import { tf } from "../../core/tensor/mod.ts";

/** The bins of an HL-Gauss encoding. */
export interface HlGaussSupport {
  bins: number;
  vmin: number;
  vmax: number;
}

/** The error function, Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7). */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-a * a));
}

/** Bin width `(vmax - vmin) / (bins - 1)`. */
export function binWidth(support: HlGaussSupport): number {
  return (support.vmax - support.vmin) / (support.bins - 1);
}

/** Bin centres `vmin, ..., vmax`: `[bins]`. */
export function binCenters(support: HlGaussSupport): Float32Array {
  const w = binWidth(support);
  return Float32Array.from({ length: support.bins }, (_, i) => support.vmin + i * w);
}

/** HL-Gauss target masses of each value: `[values.length * bins]`, rows summing to 1. */
export function hlGaussTargets(values: ArrayLike<number>, support: HlGaussSupport): Float32Array {
  const { bins, vmin, vmax } = support;
  const w = binWidth(support);
  const scale = Math.SQRT2 * 0.75 * w;
  const out = new Float32Array(values.length * bins);
  const cdf = new Float64Array(bins + 1);
  for (let i = 0; i < values.length; i++) {
    const y = Math.min(vmax, Math.max(vmin, values[i]));
    for (let e = 0; e <= bins; e++) cdf[e] = erf((vmin - w / 2 + e * w - y) / scale);
    const z = cdf[bins] - cdf[0];
    for (let b = 0; b < bins; b++) out[i * bins + b] = (cdf[b + 1] - cdf[b]) / z;
  }
  return out;
}

/** The expected bin centre under `softmax(logits)`: `[batch]`. */
export function hlGaussValue(logits: tf.Tensor2D, centers: tf.Tensor1D): tf.Tensor1D {
  return tf.sum(tf.mul(tf.softmax(logits), centers), 1) as tf.Tensor1D;
}

/** Cross entropy of `softmax(logits)` to target masses, per sample: `[batch]`. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
}

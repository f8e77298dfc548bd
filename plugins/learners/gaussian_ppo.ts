/**
 * PPO's minibatch loss for a Gaussian policy with a learned state-independent log std (CleanRL's
 * agent), in two forms that give the same bits on the wasm backend:
 *
 * - the tensor form, {@link gaussianPpoTerms} and `ppoLoss` (ppo_objective.ts): some fifty
 *   small kernels forward and twice that in autodiff's backward, each with the engine's
 *   bookkeeping, around two networks whose matMuls are the only real work;
 * - {@link fusedGaussianPpoLoss}: one custom op from the networks' outputs to the loss, whose
 *   forward and hand-derived backward are single passes over the minibatch in float32
 *   arithmetic (every product, quotient and sum rounded to float32 as the kernels round it,
 *   sums accumulated in the kernels' order), with the backend's own `Exp` kernel for the two
 *   exponentials. Its backward reproduces autodiff's operations one by one, including the
 *   order in which the engine accumulates a tensor's gradients, so the parameters follow
 *   the same trajectory to the bit.
 *
 * The fused form is used on the wasm backend only (see {@link fusedGaussianPpoAvailable}):
 * the `cpu` backend accumulates its sums in double precision, so float32 passes would not
 * give its bits.
 */
import { customOp, tf } from "../../core/tensor/mod.ts";
import { GaussianPolicy } from "./gaussian_policy.ts";
import { applyKernel } from "./squashed_gaussian.ts";
import type { MinibatchStats, MinibatchTerms, PpoLossOptions } from "./ppo_objective.ts";

const LOG_2PI = Math.log(2 * Math.PI);
/** Entropy per dim of a Gaussian, less its log std. */
const ENTROPY_OFFSET = 0.5 * Math.log(2 * Math.PI * Math.E);

/**
 * PPO's terms for a Gaussian policy in tensor form: the log ratio of `u` under `mean, logStd`
 * (both `[batch, act]`) against `oldLogProb`, and minus `entCoef` times the mean entropy as
 * extra loss, with the entropy as a diagnostic; the value is the caller's.
 */
export function gaussianPpoTerms(
  dist: { mean: tf.Tensor2D; logStd: tf.Tensor2D },
  u: tf.Tensor,
  oldLogProb: tf.Tensor,
  entCoef: number,
): Omit<MinibatchTerms, "value"> {
  const { mean, logStd } = dist;
  const logProb = GaussianPolicy.gaussianLogProb(u, mean, logStd);
  const entropy = tf.mean(tf.sum(tf.add(logStd, ENTROPY_OFFSET), 1)) as tf.Scalar;
  return {
    logRatio: tf.sub(logProb, oldLogProb) as tf.Tensor1D,
    extraLoss: tf.mul(-entCoef, entropy) as tf.Scalar,
    diagnostics: { entropy },
  };
}

/** One minibatch's data, row-major (`batch` rows): what the fused loss reads besides weights. */
export interface GaussianPpoBatch {
  /** Pre-squash actions taken, `[batch, act]`. */
  u: Float32Array;
  /** Their log densities under the rollout's policy. */
  oldLogProb: Float32Array;
  /** Advantages as the loss uses them (normalised when `normAdv`). */
  advantages: Float32Array;
  /** Values the rollout's critic gave. */
  oldValues: Float32Array;
  returns: Float32Array;
}

/** The fused loss's options: the PPO loss's, and the entropy bonus weight. */
export interface GaussianPpoOptions extends PpoLossOptions {
  entCoef: number;
}

/** The minibatch statistics PPO logs, as the tensor form's float32 values. */
export interface GaussianPpoStats extends MinibatchStats {
  entropy: number;
}

/** Whether {@link fusedGaussianPpoLoss} runs (and gives the tensor form's bits) here. */
export function fusedGaussianPpoAvailable(): boolean {
  return tf.getBackend() === "wasm";
}

const f = Math.fround;

/**
 * The PPO loss `pg + vfCoef v - entCoef entropy` of a Gaussian policy with mean `mean`
 * (`[batch, act]`, the actor's output) and log std `logStd` (`[1, act]`, shared by all rows),
 * and value `value` (`[batch, 1]`, the critic's output) as one custom op: the same value and
 * gradients, to the bit on the wasm backend, as {@link gaussianPpoTerms} (with `logStd`
 * broadcast as `onesLike(mean) * logStd`) followed by `ppoLoss`. `stats` is filled when the
 * forward pass runs.
 */
export function fusedGaussianPpoLoss(
  mean: tf.Tensor2D,
  logStd: tf.Tensor,
  value: tf.Tensor,
  batch: GaussianPpoBatch,
  options: GaussianPpoOptions,
): { loss: tf.Scalar; stats: GaussianPpoStats } {
  const stats = {} as GaussianPpoStats;
  const [B, A] = mean.shape;
  let fwd: Forward | null = null;
  let std = new Float32Array(0) as Float32Array;
  let grads: ReturnType<typeof backward> | null = null;
  // the three gradients come from one backward pass, run once for whichever is asked first
  const backwardOnce = (dy: tf.Tensor) =>
    grads ??= backward(dy.dataSync()[0], fwd!, std, batch, B, A, options);
  const [loss] = customOp({ mean, logStd, value }, () => {
    const p = logStd.dataSync() as Float32Array;
    std = applyKernel(tf.exp, p);
    fwd = forward(
      mean.dataSync() as Float32Array,
      p,
      std,
      value.dataSync() as Float32Array,
      batch,
      B,
      A,
      options,
      (lr) => applyKernel(tf.exp, lr),
    );
    Object.assign(stats, fwd.stats);
    return { outputs: [tf.scalar(fwd.loss)], keep: [] };
  }, ([dy]) => ({
    mean: () => tf.tensor2d(backwardOnce(dy).dMean, [B, A]),
    logStd: () => tf.tensor(backwardOnce(dy).dLogStd, logStd.shape),
    value: () => tf.tensor(backwardOnce(dy).dValue, value.shape),
  }));
  return { loss: loss as tf.Scalar, stats };
}

/** What the forward pass leaves for the backward pass. */
interface Forward {
  loss: number;
  stats: GaussianPpoStats;
  /** `u - mean` and `(u - mean) / std`, `[batch, act]`. */
  diff: Float32Array;
  z: Float32Array;
  ratio: Float32Array;
  value: Float32Array;
}

/**
 * The forward pass in the tensor form's float32 operations and order (`exp` runs the backend's
 * kernel on the log ratios).
 */
function forward(
  mean: Float32Array,
  p: Float32Array,
  std: Float32Array,
  value: Float32Array,
  batch: GaussianPpoBatch,
  B: number,
  A: number,
  o: GaussianPpoOptions,
  exp: (x: Float32Array) => Float32Array,
): Forward {
  const { u, oldLogProb, advantages: adv, oldValues, returns } = batch;
  const halfLog2Pi = f(0.5 * LOG_2PI);
  const diff = new Float32Array(B * A);
  const z = new Float32Array(B * A);
  const logRatio = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    let logProb = 0;
    for (let a = 0; a < A; a++) {
      const k = b * A + a;
      const d = f(u[k] - mean[k]);
      const zk = f(d / std[a]);
      diff[k] = d;
      z[k] = zk;
      logProb = f(logProb - f(f(f(0.5 * f(zk * zk)) + p[a]) + halfLog2Pi));
    }
    logRatio[b] = f(logProb - oldLogProb[b]);
  }
  // the entropy: every row of logStd is the parameter row
  let rowEntropy = 0;
  for (let a = 0; a < A; a++) rowEntropy = f(rowEntropy + f(p[a] + f(ENTROPY_OFFSET)));
  let entropySum = 0;
  for (let b = 0; b < B; b++) entropySum = f(entropySum + rowEntropy);
  const entropy = f(entropySum / B);
  const extra = f(f(-o.entCoef) * entropy);

  const ratio = exp(logRatio);
  const [lo, hi, c] = [f(1 - o.clipCoef), f(1 + o.clipCoef), f(o.clipCoef)];
  let pgSum = 0;
  let vSum = 0;
  let klSum = 0;
  let clipped = 0;
  for (let b = 0; b < B; b++) {
    const r = ratio[b];
    const na = -adv[b];
    const a1 = f(na * r);
    const a2 = f(na * clamp(r, lo, hi));
    pgSum = f(pgSum + (a1 >= a2 ? a1 : a2));
    const e1 = f(value[b] - returns[b]);
    const s1 = f(e1 * e1);
    if (o.clipVloss) {
      const vClipped = f(oldValues[b] + clamp(f(value[b] - oldValues[b]), -c, c));
      const e2 = f(vClipped - returns[b]);
      const s2 = f(e2 * e2);
      vSum = f(vSum + (s1 >= s2 ? s1 : s2));
    } else {
      vSum = f(vSum + s1);
    }
    const rm1 = f(r - 1);
    klSum = f(klSum + f(rm1 - logRatio[b]));
    if (Math.abs(rm1) > c) clipped++;
  }
  const pg = f(pgSum / B);
  const v = f(0.5 * f(vSum / B));
  const loss = f(f(pg + f(f(o.vfCoef) * v)) + extra);
  return {
    loss,
    stats: {
      pg_loss: pg,
      value_loss: v,
      approx_kl: f(klSum / B),
      clipfrac: f(clipped / B),
      entropy,
    },
    diff,
    z,
    ratio,
    value,
  };
}

/** `min(max(x, lo), hi)`: tf.clipByValue. */
function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * The gradients of the loss (times `dy`) with respect to the mean, the log-std row and the
 * value, as autodiff computes them from the tensor form: each op's gradient rule in its
 * float32 operations, and a tensor's gradients from several uses added in the order the
 * engine visits them (reverse recording order).
 */
function backward(
  dy: number,
  fwd: Forward,
  std: Float32Array,
  batch: GaussianPpoBatch,
  B: number,
  A: number,
  o: GaussianPpoOptions,
): { dMean: Float32Array; dLogStd: Float32Array; dValue: Float32Array } {
  const { advantages: adv, oldValues, returns } = batch;
  const { diff, z, ratio, value } = fwd;
  const [lo, hi, c] = [f(1 - o.clipCoef), f(1 + o.clipCoef), f(o.clipCoef)];
  // loss = (pg + vfCoef v) + extra: an add passes dy to both sides, a mul by a constant scales
  const dValueLoss = f(dy * f(o.vfCoef));
  const dEntropy = f(dy * f(-o.entCoef));
  const dMeanTerm = f(f(dy * 1) / B); // mean's gradient: (dy * ones) / n
  const dValueTerm = f(f(f(dValueLoss * 0.5) * 1) / B);
  const dValue = new Float32Array(B);
  const dLogRatio = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    // value loss: maximum passes dy where a >= b to a, where a < b to b
    const e1 = f(value[b] - returns[b]);
    const s1 = f(e1 * e1);
    if (o.clipVloss) {
      const d = f(value[b] - oldValues[b]);
      const e2 = f(f(oldValues[b] + clamp(d, -c, c)) - returns[b]);
      const s2 = f(e2 * e2);
      const dS1 = f(dValueTerm * (s1 >= s2 ? 1 : 0));
      const dS2 = f(dValueTerm * (s1 < s2 ? 1 : 0));
      const dClip = f(dS2 * f(e2 * 2));
      const dD = d >= -c && d <= c ? dClip : 0;
      // the value's uses: value - returns (visited first), then value - oldValues
      dValue[b] = f(f(dS1 * f(e1 * 2)) + dD);
    } else {
      dValue[b] = f(dValueTerm * f(e1 * 2));
    }
    // policy loss: max(-adv ratio, -adv clip(ratio))
    const r = ratio[b];
    const na = -adv[b];
    const a1 = f(na * r);
    const a2 = f(na * clamp(r, lo, hi));
    const dA1 = f(dMeanTerm * (a1 >= a2 ? 1 : 0));
    const dA2 = f(dMeanTerm * (a1 < a2 ? 1 : 0));
    const dClipped = f(dA2 * na);
    const dRatio = f(f(dA1 * na) + (r >= lo && r <= hi ? dClipped : 0));
    dLogRatio[b] = f(dRatio * r); // exp's gradient: dy * exp(x)
  }
  // log density: -(0.5 z^2 + logStd + log(2 pi) / 2) summed over dims, z = (u - mean) / std
  const dEntropyRow = f(f(dEntropy * 1) / B);
  const dMean = new Float32Array(B * A);
  const dLogStd = new Float32Array(A);
  for (let b = 0; b < B; b++) {
    const dNeg = -dLogRatio[b];
    const dZ0 = f(dNeg * 0.5);
    for (let a = 0; a < A; a++) {
      const k = b * A + a;
      const s = std[a];
      const dz = f(dZ0 * f(z[k] * 2));
      const dStd = -f(f(dz * diff[k]) / f(s * s));
      // mean's uses: onesLike(mean) (a zero gradient, visited last), then u - mean
      dMean[k] = f(-f(dz / s) + 0);
      // logStd's uses, in the engine's order: the entropy, + logStd, exp(logStd)
      dLogStd[a] = f(dLogStd[a] + f(f(dEntropyRow + dNeg) + f(dStd * s)));
    }
  }
  return { dMean, dLogStd, dValue };
}

/**
 * The log-variance (LV) loss of diffusion samplers, as an actor objective for the diffusion
 * policy (DMERL, section "the log-variance loss").
 *
 * For a state s and M chains a_m^{K..0} drawn WITHOUT gradient (from the current policy or any
 * reference), the log ratio of the policy's path measure to the target path measure (the MaxEnt
 * optimum `pi*(a^0|s) ∝ exp(Q(s, a^0) / alpha)` followed by the noising process) is
 *
 *   R_m(theta) = log p_prior(a_m^K) + sum_k l_k(a_m; theta) - Q(s, a_m^0) / alpha
 *
 * and the loss is the mean over states of the sample variance of R_m over m. The unknown
 * log-normaliser V(s)/alpha is the same for every m of a state and cancels; so does any constant
 * added to Q. Gradients flow only through `l_k` (the score network, the step sizes and the
 * friction), never through Q's action input or the path values. At the on-policy point the
 * gradient with respect to the parameters of the denoising kernel alone (the score network) is
 * `2 Cov_m(R, grad log q_theta(path))`: twice the score-function gradient of the reverse KL
 * with the mean as baseline.
 */
import { tf } from "../../core/tensor/mod.ts";
import type { DiffusionPolicy } from "./diffusion_policy.ts";

/** M fixed chains per state, state-major: row `b * M + m` is chain m of state b. */
export interface LogVariancePaths {
  /** Normalised observations, each state repeated M times: `[B * M, obsDim]`. */
  obs: tf.Tensor2D;
  /** a^K, ..., a^0 (no gradient): K + 1 tensors `[B * M, actDim]`. */
  latents: tf.Tensor2D[];
  /**
   * Everything in R that does not depend on theta, per row: `-Q(s, a^0) / alpha` plus any
   * change of variables (`[B * M]`). The prior term is added here by {@link logVarianceLoss}.
   */
  offset: tf.Tensor1D;
}

/** Observations `[B, d]` with each row repeated `m` times, state-major: `[B * m, d]`. */
export function repeatRows(x: tf.Tensor2D, m: number): tf.Tensor2D {
  const [b, d] = x.shape;
  return tf.reshape(tf.tile(tf.reshape(x, [b, 1, d]), [1, m, 1]), [b * m, d]);
}

/** `log N(a; 0, sigma0^2 I)` summed over dims: `[rows]`. */
export function logPrior(a: tf.Tensor2D, sigma0: number): tf.Tensor1D {
  const d = a.shape[1];
  const c = -0.5 * d * Math.log(2 * Math.PI * sigma0 * sigma0);
  return tf.add(c, tf.mul(-0.5 / (sigma0 * sigma0), tf.sum(tf.square(a), 1))) as tf.Tensor1D;
}

/**
 * `sum_k l_k` of fixed chains under the current parameters, differentiable in them only: all K
 * steps in one batch of `K * rows` transitions. `[rows]`.
 */
export function pathLogRatio(
  policy: DiffusionPolicy,
  obs: tf.Tensor2D,
  latents: tf.Tensor2D[],
): tf.Tensor1D {
  const K = policy.steps;
  const rows = obs.shape[0];
  const ks = new Int32Array(K * rows);
  for (let j = 0; j < K; j++) ks.fill(K - j, j * rows, (j + 1) * rows);
  const { logRatio } = policy.logDensities(
    tf.concat(new Array(K).fill(obs), 0) as tf.Tensor2D,
    tf.concat(latents.slice(0, K), 0) as tf.Tensor2D,
    tf.concat(latents.slice(1), 0) as tf.Tensor2D,
    tf.tensor1d(ks, "int32"),
  );
  return tf.sum(tf.reshape(logRatio, [K, rows]), 0) as tf.Tensor1D;
}

/**
 * The LV loss over `paths` with `samples` (M >= 2) chains per state: the mean over states of
 * the unbiased sample variance of R over m. Also returns `sum_k l_k` per chain (for the
 * temperature and the entropy metric) and R itself.
 */
export function logVarianceLoss(
  policy: DiffusionPolicy,
  paths: LogVariancePaths,
  samples: number,
): { loss: tf.Scalar; logRatioSum: tf.Tensor1D; logRatioR: tf.Tensor1D } {
  if (!Number.isInteger(samples) || samples < 2) {
    throw new Error(`logVarianceLoss: samples must be an integer >= 2, got ${samples}`);
  }
  const rows = paths.obs.shape[0];
  if (rows % samples !== 0) {
    throw new Error(`logVarianceLoss: ${rows} rows are not a multiple of ${samples} samples`);
  }
  const logRatioSum = pathLogRatio(policy, paths.obs, paths.latents);
  const r = tf.add(
    tf.add(logRatioSum, logPrior(paths.latents[0], policy.sigma0)),
    paths.offset,
  ) as tf.Tensor1D;
  const perState = tf.reshape(r, [rows / samples, samples]);
  const centred = tf.sub(perState, tf.mean(perState, 1, true));
  const variance = tf.div(tf.sum(tf.square(centred), 1), samples - 1);
  return { loss: tf.mean(variance) as tf.Scalar, logRatioSum, logRatioR: r };
}

/**
 * Draws M chains per state from the current policy with no gradient path back to the
 * parameters (the values are copied into fresh tensors), for {@link LogVariancePaths}.
 * `noise` is `[B * M, K + 1, actDim]` standard normal.
 */
export function detachedChains(
  policy: DiffusionPolicy,
  obs: tf.Tensor2D,
  noise: tf.Tensor3D,
): tf.Tensor2D[] {
  const values = tf.tidy(() =>
    policy.sampleChain(obs, noise).latents.map((a) => a.dataSync() as Float32Array)
  );
  return values.map((v) => tf.tensor2d(v, [obs.shape[0], policy.actDim]));
}

/**
 * Wasserstein Policy Optimization (Pfau et al., ICML 2025) with the tanh-squashed Gaussian
 * policy, off-policy like SAC: replay buffer, twin Q with Polyak targets, the actor updated
 * every `policyFrequency` steps (that many times), optionally MaxEnt with a fixed or learned
 * temperature alpha (the paper's tau).
 *
 * ## Which variable
 *
 * The policy samples `u = mean(s) + std(s) * eps` and the env and critic see
 * `y = clip(tanh(u), -0.999, 0.999)`. WPO is done in u-space, where the policy IS a Gaussian
 * (so the Fisher matrix has its closed form and `d/du log pi(u|s) = -(u - mean) / std^2`):
 *
 *   Qs(s, u) = Q(s, y(u)) - alpha * log p(y(u) | s)
 *
 * is the (soft) value of a latent u, with `log p(y|s)` the squashed density SAC uses in its
 * critic target (`log N(u) - sum log(1 - tanh(u)^2 + 1e-6) - sum log halfwidth`), so actor and
 * critic refer to the same soft objective. Its u-gradient, in closed form from `dQ/dy`
 * (clip passes the gradient where |tanh u| <= 0.999, as tf.clipByValue does):
 *
 *   g = dQs/du = dQ/dy (1 - t^2) [|t| <= 0.999]
 *              + alpha (eps / std - 2 t (1 - t^2) / (1 - t^2 + 1e-6))
 *
 * with `t = tanh(u)`, `eps = (u - mean) / std` ({@link softActionGradient}). alpha = 0 is plain
 * WPO (g = dQ/du).
 *
 * ## The loss
 *
 * For u = stop_grad(sample), WPO's actor loss is
 *
 *   L = - sum_d stop_grad(g_d) * d/du_d log pi_theta(u | s)
 *     = sum_d g_d (u_d - mean_d) / std_d^2                      ({@link gaussianWpoLoss})
 *
 * Its gradient in the distribution parameters: `dL/dmean_d = -g_d / std_d^2` and
 * `dL/dstd_d = -2 g_d eps_d / std_d^2`.
 *
 * ## Fisher preconditioning
 *
 * The Fisher matrix of N(mean, std^2) per dimension, in (mean, std), is diag(1/std^2, 2/std^2);
 * its inverse scales the mean gradient by std^2 and the std gradient by std^2 / 2:
 *
 *   dmean_d = -g_d,   dstd_d = -g_d eps_d
 *
 * (the Wasserstein gradient flow of E[Qs] projected on the Gaussians: the mean moves with
 * E[g], the std with E[g eps]). Rather than rescaling parameter gradients, the loss is built so
 * that backprop produces exactly these distribution-level gradients and chains them into the
 * network:
 *
 *   L_F = - sum_d ( g_d * mean_d + g_d eps_d * std_d ),   g and eps constants.
 *
 * ## Trust region
 *
 * Per sample, `KL(pi_old(.|s) || pi_theta(.|s))` in closed form for the Gaussians in u-space
 * (equal to the KL of the squashed distributions, tanh being a bijection); "old" is the policy's
 * mean and std on the batch at the start of the actor phase. Samples above `klBound` use
 * `lambda * KL` instead of the WPO loss (see trust_region.ts). The phase is `policyFrequency`
 * Adam steps on one batch (fresh noise each), so its first step is at KL 0 and the region
 * bounds how far the later steps take the policy from where the phase began.
 *
 * Metrics: `entropy` is `-mean log p(y|s)` of the squashed action as in SAC; `grad_q_abs` is
 * `mean |g|`; `kl`, `kl_violated` (share of samples on the penalty) and `lambda` are those of
 * the last actor step.
 */
import type { AlgorithmContext, EpisodeStat, Metrics, ValuesOf } from "../../core/mod.ts";
import { normalTensor, tf } from "../../core/tensor/mod.ts";
import {
  type ActorPhase,
  collectGaussianStep,
  fitSoftCritics,
  type GaussianPolicy,
  LagrangeMultiplier,
  meanOf,
  minimizeKeeping,
  OffPolicyAlgorithm,
  SAC_SCHEMA,
  sacSchedule,
  softTemperature,
  type Temperature,
  transitionReplayLayout,
  TRUST_REGION_SCHEMA,
  trustRegionLoss,
  type UpdateScope,
} from "../learners/mod.ts";

/** WPO hyper-parameters: SAC's (plain WPO by default: alpha 0, not learned), plus WPO's. */
export const WPO_SCHEMA = {
  ...SAC_SCHEMA,
  autotune: {
    type: "boolean",
    default: false,
    doc: "learn alpha toward the target entropy (MaxEnt WPO), starting from alphaInit",
  },
  alpha: {
    type: "number",
    min: 0,
    default: 0,
    doc: "temperature of MaxEnt WPO (Q - alpha log pi) when autotune is off; 0 is plain WPO",
  },
  fisherPreconditioning: {
    type: "boolean",
    default: true,
    doc: "scale mean gradients by std^2 and std gradients by std^2/2 (closed-form Fisher inverse)",
  },
  ...TRUST_REGION_SCHEMA,
} as const;

/** Validated WPO parameters. */
export type WpoParams = ValuesOf<typeof WPO_SCHEMA>;

/** Constants of one actor step: the stop-gradient sample and its WPO coefficients. */
export interface WpoSample {
  /** The pre-squash latent u: `[batch, actDim]`. */
  u: tf.Tensor2D;
  /** `(u - mean) / std` at the parameters that drew u. */
  eps: tf.Tensor2D;
  /** `g = dQs/du` at u. */
  g: tf.Tensor2D;
  /** Squashed log density of y(u) (for the temperature and the entropy metric): `[batch]`. */
  logProb: tf.Tensor1D;
}

/** Mean and log std of the Gaussian over u. */
export interface GaussianParamsOf {
  mean: tf.Tensor2D;
  logStd: tf.Tensor2D;
}

/**
 * `g = d/du [Q(s, y(u)) - alpha log p(y(u)|s)]` in closed form from `dQ/dy` (see the module
 * comment). All inputs are constants.
 */
export function softActionGradient(
  dQdy: tf.Tensor2D,
  u: tf.Tensor2D,
  mean: tf.Tensor2D,
  logStd: tf.Tensor2D,
  alpha: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const t = tf.tanh(u);
    const oneMinus = tf.sub(1, tf.square(t));
    const passes = tf.lessEqual(tf.abs(t), 0.999);
    const g = tf.where(passes, tf.mul(dQdy, oneMinus), tf.zerosLike(u));
    if (alpha === 0) return g as tf.Tensor2D;
    const std = tf.exp(logStd);
    const eps = tf.div(tf.sub(u, mean), std);
    const jacobian = tf.div(tf.mul(tf.mul(2, t), oneMinus), tf.add(oneMinus, 1e-6));
    return tf.add(g, tf.mul(alpha, tf.sub(tf.div(eps, std), jacobian))) as tf.Tensor2D;
  });
}

/**
 * Per-sample WPO loss at the distribution-parameter level, differentiable in `dist`.
 * Unpreconditioned: `sum_d g_d (u_d - mean_d) / std_d^2` (= `-g . d/du log pi(u)`).
 * Preconditioned: `-sum_d (g_d mean_d + g_d eps_d std_d)`, whose gradient is the Fisher-inverse
 * scaled one. `sample` holds constants.
 */
export function gaussianWpoLoss(
  dist: GaussianParamsOf,
  sample: Pick<WpoSample, "u" | "eps" | "g">,
  precondition: boolean,
): tf.Tensor1D {
  const std = tf.exp(dist.logStd);
  if (precondition) {
    const perDim = tf.add(
      tf.mul(sample.g, dist.mean),
      tf.mul(tf.mul(sample.g, sample.eps), std),
    );
    return tf.neg(tf.sum(perDim, 1)) as tf.Tensor1D;
  }
  const score = tf.div(tf.sub(sample.u, dist.mean), tf.square(std));
  return tf.sum(tf.mul(sample.g, score), 1) as tf.Tensor1D;
}

/** `KL(N(old) || N(new))` per sample, summed over dims. */
export function gaussianKl(old: GaussianParamsOf, dist: GaussianParamsOf): tf.Tensor1D {
  const varOld = tf.exp(tf.mul(2, old.logStd));
  const varNew = tf.exp(tf.mul(2, dist.logStd));
  const perDim = tf.add(
    tf.sub(dist.logStd, old.logStd),
    tf.sub(tf.div(tf.add(varOld, tf.square(tf.sub(old.mean, dist.mean))), tf.mul(2, varNew)), 0.5),
  );
  return tf.sum(perDim, 1) as tf.Tensor1D;
}

/** What WPO's critic step leaves for its actor phase. */
interface WpoScope extends UpdateScope {
  obs: tf.Tensor2D;
}

/** WPO over a {@link GaussianPolicy}. */
export class Wpo extends OffPolicyAlgorithm<GaussianPolicy, WpoParams> {
  /** The entropy temperature (used when `autotune`). */
  readonly temperature: Temperature;
  private readonly lagrange: LagrangeMultiplier;

  /** Builds critics, targets, optimisers, the replay buffer, temperature and multiplier. */
  constructor(context: AlgorithmContext<WpoParams, GaussianPolicy>) {
    const { env, params } = context;
    super(context, {
      criticInputs: env.obsDim + env.actDim,
      criticObsInputs: env.obsDim,
      replayLayout: transitionReplayLayout(env),
      schedule: sacSchedule(context.params),
    });
    this.temperature = this.addPart("temperature", softTemperature(params, env.actDim));
    this.lagrange = this.addPart(
      "lagrange",
      new LagrangeMultiplier({ init: params.klLambdaInit, lr: params.klLambdaLr }),
    );
  }

  /** The temperature in use: exactly `params.alpha` unless learned. */
  get alpha(): number {
    return this.params.autotune ? this.temperature.value : this.params.alpha;
  }

  /** Current Lagrange multiplier of the trust region. */
  get lambda(): number {
    return this.lagrange.value;
  }

  /**
   * Draws `u = mean + std * noise` from the current policy and computes the WPO coefficients
   * `g = dQs/du` (constants). `dQdy` replaces the critics' `dQ/dy` (tests use a known Q).
   */
  actorSample(
    obs: tf.Tensor2D,
    noise: tf.Tensor2D,
    alpha: number,
    dQdy?: (y: tf.Tensor2D) => tf.Tensor2D,
  ): WpoSample {
    return tf.tidy(() => {
      const { mean, logStd } = this.policy.distribution(obs);
      // the same draw through the policy's own sampler: u, y and SAC's squashed log density
      const { u, y, logProb } = this.policy.sample(obs, noise);
      const dq = dQdy
        ? dQdy(y)
        : tf.grad((yy: tf.Tensor) =>
          tf.sum(this.critics.minOf(obs, yy as tf.Tensor2D, { weightGrads: false }))
        )(y) as tf.Tensor2D;
      return { u, eps: noise.clone(), g: softActionGradient(dq, u, mean, logStd, alpha), logProb };
    });
  }

  /**
   * The actor loss on constants `sample`: mean of the per-sample WPO loss, or of `lambda * KL`
   * for samples whose KL to `old` exceeds the bound (no trust region when `old` is null).
   */
  actorLoss(
    obs: tf.Tensor2D,
    sample: WpoSample,
    old: GaussianParamsOf | null,
    lambda: number,
  ): { loss: tf.Scalar; kl: tf.Tensor1D; violated: tf.Tensor1D } {
    const dist = this.policy.distribution(obs);
    const objective = gaussianWpoLoss(dist, sample, this.params.fisherPreconditioning);
    if (!old) {
      const zeros = tf.zeros([obs.shape[0]]) as tf.Tensor1D;
      return { loss: tf.mean(objective) as tf.Scalar, kl: zeros, violated: zeros };
    }
    const kl = gaussianKl(old, dist);
    const { loss, violated } = trustRegionLoss(objective, kl, this.params.klBound, lambda);
    return { loss, kl, violated };
  }

  /** Uniform random actions before learningStarts, then the policy's samples. */
  protected collect(random: boolean): EpisodeStat[] {
    return collectGaussianStep(this.env, this.policy, this.rng, this.replay, random).episodes;
  }

  /** SAC's soft Bellman target (plain when alpha is 0). */
  protected criticStep(batch: Record<string, Float32Array>, metrics: Metrics): WpoScope {
    const alpha = this.alpha;
    metrics.alpha = alpha;
    const { loss, obs } = fitSoftCritics(this.policy, this.critics, batch, this.rng, {
      alpha,
      gamma: this.params.gamma,
    });
    metrics.q_loss = loss;
    return { obs, dispose: () => obs.dispose() };
  }

  /** WPO steps on the batch inside the trust region around the policy before the phase. */
  protected actorPhase({ obs }: WpoScope): ActorPhase {
    const { params } = this;
    // the trust region's reference: the policy on this batch before the actor phase
    const old = params.trustRegion ? tf.tidy(() => this.policy.distribution(obs)) : null;
    return {
      step: (metrics) => {
        const noise = normalTensor(this.rng, [obs.shape[0], this.env.actDim]) as tf.Tensor2D;
        const sample = this.actorSample(obs, noise, this.alpha);
        const lambda = this.lagrange.value;
        const { loss, kept } = minimizeKeeping(
          this.actorOptimizer,
          () => this.actorLoss(obs, sample, old, lambda),
        );
        metrics.actor_loss = loss;
        metrics.entropy = -meanOf(sample.logProb);
        metrics.grad_q_abs = tf.tidy(() => meanOf(tf.abs(sample.g)));
        if (params.autotune) metrics.alpha_loss = this.temperature.update(sample.logProb);
        if (old) {
          metrics.kl = meanOf(kept.kl);
          metrics.kl_violated = meanOf(kept.violated);
          metrics.lambda_loss = this.lagrange.update(kept.kl, params.klBound);
          metrics.lambda = this.lagrange.value;
        }
        tf.dispose([kept.kl, kept.violated, noise, sample.u, sample.eps, sample.g, sample.logProb]);
      },
      dispose: () => {
        if (old) tf.dispose([old.mean, old.logStd]);
      },
    };
  }
}

/**
 * DiffWPO: Wasserstein Policy Optimization on one denoising step of the diffusion-augmented
 * MDP (DMERL), off-policy with the DA-MDP critic of DiffSAC's augmented surrogate.
 *
 * Replay stores, with each env transition, the latent chain a^K..a^0 that produced its action;
 * an update samples transitions and a k uniformly in 1..K, so `(s, a^k, k) -> a^{k-1}` is a
 * real DA-MDP transition. Critic Q(s, a^k, k, a^{k-1}) (input `[s, a^k, one-hot(k), a^{k-1}]`)
 * with the DA-MDP Bellman target, gamma_aug = gamma^(1/K) unless set:
 *   k > 1: y = gamma_aug (Q'(s, a^{k-1}, k-1, b) - alpha l(b)),  b ~ q(. | s, a^{k-1}, k-1)
 *   k = 1: y = r + gamma_aug (1 - done) (Q'(s', a'^K, K, b') - alpha l(b')),  a'^K ~ p0
 *
 * Actor (alpha is the paper's tau). With a = stop_grad(a^{k-1}), a fresh draw of the current
 * kernel q_theta(. | s, a^k, k) at the stored augmented state,
 *
 *   loss = sum_d stop_grad(alpha dl/da_d - dQ/da_d)(s~, a) * d/da_d l_theta(a)
 *
 * where `l_theta(a) = log q_theta(a | a^k, s) - log pi(a^k | a)` is the step's log ratio and
 * `dQ/da` the gradient of min(Q1, Q2) in its a^{k-1} input. `d/da l_theta` has a closed form
 * in the kernel's mean m and eta ({@link logRatioActionGrad}), through which the loss is
 * differentiable in theta:
 *
 *   d/da log q_theta(a | a^k, s) = -(a - m) / (2 eta)
 *   d/da log pi(a^k | a)         = (1 - eta/sigma0^2) (a^k - (1 - eta/sigma0^2) a) / (2 eta)
 *
 * No Fisher preconditioning. The diffusion policy's friction is fixed (`learnFriction: false`
 * in the algorithm's policy defaults); the per-step dt stays learnable.
 *
 * Trust region: the kernel's mean and eta on the batch before the actor phase are kept as
 * constants ("old"); per sample, if `K * KL(q_old || q_theta)(s~)` (Gaussians with variances
 * `2 eta_old` and `2 eta`) exceeds `klBound` (0.02), that sample's loss is `lambda * K * KL`
 * instead, with lambda a learned Lagrange multiplier (see ../wpo/trust_region.ts).
 *
 * The temperature is learned (by default) toward `-targetEntropyScale * |A|` on the path
 * entropy estimate `-K l_k`, as in DiffSAC.
 */
import type { AlgorithmContext, EpisodeStat, Metrics, ValuesOf } from "../../core/mod.ts";
import { normalTensor, tf } from "../../core/tensor/mod.ts";
import {
  type ActorPhase,
  AUGMENTED_CRITIC_SCHEMA,
  type AugmentedCriticBatch,
  augmentedCriticBatch,
  augmentedCriticInput,
  augmentedCriticInputs,
  augmentedDiscount,
  chainReplayLayout,
  collectChainStep,
  DiffusionAugmentedEnv,
  type DiffusionPolicy,
  type Kernel,
  kernelKl,
  LagrangeMultiplier,
  meanOf,
  minimizeKeeping,
  OffPolicyAlgorithm,
  SAC_SCHEMA,
  sacSchedule,
  softTemperature,
  type Temperature,
  TRUST_REGION_SCHEMA,
  trustRegionLoss,
  type UpdateScope,
} from "../learners/mod.ts";

/** DiffWPO hyper-parameters: SAC's, the augmented discount, and the trust region. */
export const DIFFWPO_SCHEMA = {
  ...SAC_SCHEMA,
  ...AUGMENTED_CRITIC_SCHEMA,
  ...TRUST_REGION_SCHEMA,
  klBound: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 0.02,
    doc: "per-sample K * KL(q_old || q) above which a sample's loss becomes lambda * K * KL",
  },
} as const;

/** Validated DiffWPO parameters. */
export type DiffWpoParams = ValuesOf<typeof DIFFWPO_SCHEMA>;

/** What DiffWPO sets on its default (diffusion) policy: WPO keeps the friction fixed. */
export const DIFFWPO_POLICY_DEFAULTS = { learnFriction: false };

export { type Kernel, kernelKl } from "../learners/mod.ts";

/** Constants of one actor step. */
export interface DiffWpoSample {
  /** a = stop_grad(a^{k-1}), drawn from the current kernel: `[batch, actDim]`. */
  prev: tf.Tensor2D;
  /** The coefficient `alpha dl/da - dQ/da` at a: `[batch, actDim]`. */
  coef: tf.Tensor2D;
  /** l_k(a) at the current parameters: `[batch]`. */
  logRatio: tf.Tensor1D;
}

/**
 * `d/da l(a)` for `l(a) = log q(a | a^k, s) - log pi(a^k | a)`, with q's mean and eta given
 * (differentiable in them): `-(a - m)/(2 eta) - c (a^k - c a)/(2 eta)`, `c = 1 - eta/sigma0^2`.
 */
export function logRatioActionGrad(
  prev: tf.Tensor2D,
  ak: tf.Tensor2D,
  kernel: Kernel,
  sigma0: number,
): tf.Tensor2D {
  const twoEta = tf.mul(2, kernel.eta);
  const c = tf.sub(1, tf.div(kernel.eta, sigma0 * sigma0));
  const dLogQ = tf.neg(tf.div(tf.sub(prev, kernel.mean), twoEta));
  const dLogPi = tf.div(tf.mul(c, tf.sub(ak, tf.mul(c, prev))), twoEta);
  return tf.sub(dLogQ, dLogPi) as tf.Tensor2D;
}

/** What DiffWPO's critic step leaves for its actor phase: the batch and its augmented states. */
interface DiffWpoScope extends UpdateScope {
  obs: tf.Tensor2D;
  q: AugmentedCriticBatch;
}

/** DiffWPO over a {@link DiffusionPolicy}. */
export class DiffWpo extends OffPolicyAlgorithm<DiffusionPolicy, DiffWpoParams> {
  /** The entropy temperature (used when `autotune`). */
  readonly temperature: Temperature;
  private readonly daMdp: DiffusionAugmentedEnv;
  private readonly lagrange: LagrangeMultiplier;
  /** K. */
  readonly K: number;
  private readonly gammaAug: number;

  /** Builds the DA-MDP over the env, the critics, temperature, replay and multiplier. */
  constructor(context: AlgorithmContext<DiffWpoParams, DiffusionPolicy>) {
    const { env, params, policy, rng } = context;
    const K = policy.steps;
    // the DA-MDP's first prior draw comes before the critics' weights
    const daMdp = DiffusionAugmentedEnv.forPolicy(env, policy, rng);
    super(context, {
      criticInputs: augmentedCriticInputs(env, K),
      replayLayout: chainReplayLayout(env, K),
      schedule: sacSchedule(params),
    });
    this.K = K;
    this.daMdp = this.addPart("daMdp", daMdp);
    this.gammaAug = augmentedDiscount(params.gamma, params.augmentedGamma, K);
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

  /** One env step: K augmented steps through the DA-MDP, recording the latent chain. */
  protected collect(random: boolean): EpisodeStat[] {
    return collectChainStep(this.daMdp, this.policy, this.rng, this.replay, {
      randomAction: random,
    }).episodes;
  }

  /** Critic input: [s, a^k, one-hot(k), a^{k-1}]. */
  criticInput(obs: tf.Tensor2D, a: tf.Tensor2D, k: tf.Tensor1D, prev: tf.Tensor2D): tf.Tensor2D {
    return augmentedCriticInput(this.policy, obs, a, k, prev);
  }

  /**
   * The constants of one actor step at the augmented states `(obs, a = a^k, k)`: a draw
   * `a^{k-1}` of the current kernel with `noise`, and the coefficient
   * `alpha dl/da - dQ/da` there. `dQda` replaces the critics' gradient (tests).
   */
  actorSample(
    obs: tf.Tensor2D,
    a: tf.Tensor2D,
    k: tf.Tensor1D,
    noise: tf.Tensor2D,
    alpha: number,
    dQda?: (prev: tf.Tensor2D) => tf.Tensor2D,
  ): DiffWpoSample {
    return tf.tidy(() => {
      const kernel = this.policy.denoiseMean(obs, a, k);
      const step = this.policy.denoise(obs, a, k, noise);
      const prev = step.next;
      const dq = dQda
        ? dQda(prev)
        : tf.grad((p: tf.Tensor) =>
          tf.sum(this.critics.min(this.criticInput(obs, a, k, p as tf.Tensor2D), {
            weightGrads: false,
          }))
        )(prev) as tf.Tensor2D;
      const coef = alpha === 0
        ? tf.neg(dq)
        : tf.sub(tf.mul(alpha, logRatioActionGrad(prev, a, kernel, this.policy.sigma0)), dq);
      return { prev, coef: coef as tf.Tensor2D, logRatio: step.logRatio };
    });
  }

  /**
   * The actor loss on the constants `sample`: per sample `coef . d/da l_theta(a)`, or
   * `lambda * K * KL(old || current kernel)` where that exceeds the bound (no trust region
   * when `old` is null); averaged over the batch.
   */
  actorLoss(
    obs: tf.Tensor2D,
    a: tf.Tensor2D,
    k: tf.Tensor1D,
    sample: DiffWpoSample,
    old: Kernel | null,
    lambda: number,
  ): { loss: tf.Scalar; kl: tf.Tensor1D; violated: tf.Tensor1D } {
    const kernel = this.policy.denoiseMean(obs, a, k);
    const dl = logRatioActionGrad(sample.prev, a, kernel, this.policy.sigma0);
    const objective = tf.sum(tf.mul(sample.coef, dl), 1) as tf.Tensor1D;
    if (!old) {
      const zeros = tf.zeros([obs.shape[0]]) as tf.Tensor1D;
      return { loss: tf.mean(objective) as tf.Scalar, kl: zeros, violated: zeros };
    }
    const kl = tf.mul(this.K, kernelKl(old, kernel)) as tf.Tensor1D;
    const { loss, violated } = trustRegionLoss(objective, kl, this.params.klBound, lambda);
    return { loss, kl, violated };
  }

  /** k uniform in 1..K per sample, the DA-MDP Bellman target at (s, a^k, k, a^{k-1}). */
  protected criticStep(batch: Record<string, Float32Array>, metrics: Metrics): DiffWpoScope {
    const alpha = this.alpha;
    metrics.alpha = alpha;
    const obs = this.policy.obsTensor(batch.obs);
    const options = { alpha, gamma: this.gammaAug };
    const q = augmentedCriticBatch(this.policy, this.critics, batch, obs, this.rng, options);
    metrics.q_loss = this.critics.fit(q.input, q.target);
    return { obs, q, dispose: () => tf.dispose([obs, q.k, q.a, q.prev, q.target, q.input]) };
  }

  /** WPO steps on one denoising step inside the trust region around the phase's kernel. */
  protected actorPhase({ obs, q }: DiffWpoScope): ActorPhase {
    const { params, policy, K } = this;
    const { k, a } = q;
    // the trust region's reference: the kernel on this batch before the actor phase
    const old = params.trustRegion ? tf.tidy(() => policy.denoiseMean(obs, a, k)) : null;
    return {
      step: (metrics) => {
        const noise = normalTensor(this.rng, [obs.shape[0], this.env.actDim]) as tf.Tensor2D;
        const sample = this.actorSample(obs, a, k, noise, this.alpha);
        const lambda = this.lagrange.value;
        const { loss, kept } = minimizeKeeping(
          this.actorOptimizer,
          () => this.actorLoss(obs, a, k, sample, old, lambda),
        );
        metrics.actor_loss = loss;
        // K * l_k estimates sum_k l_k when k is uniform
        const path = tf.mul(sample.logRatio, K) as tf.Tensor1D;
        metrics.entropy = -meanOf(path);
        metrics.coef_abs = tf.tidy(() => meanOf(tf.abs(sample.coef)));
        if (params.autotune) metrics.alpha_loss = this.temperature.update(path);
        if (old) {
          metrics.kl = meanOf(kept.kl);
          metrics.kl_violated = meanOf(kept.violated);
          metrics.lambda_loss = this.lagrange.update(kept.kl, params.klBound);
          metrics.lambda = this.lagrange.value;
        }
        tf.dispose([
          kept.kl,
          kept.violated,
          noise,
          path,
          sample.prev,
          sample.coef,
          sample.logRatio,
        ]);
      },
      dispose: () => {
        if (old) tf.dispose([old.mean, old.eta]);
      },
    };
  }
}

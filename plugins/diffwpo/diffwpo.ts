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
import type {
  Algorithm,
  AlgorithmContext,
  IterationResult,
  Rng,
  ValuesOf,
  VecEnv,
} from "../../core/mod.ts";
import { normalTensor, tf } from "../../core/tensor/mod.ts";
import type { TwinQ } from "../learners/mod.ts";
import {
  AUGMENTED_CRITIC_SCHEMA,
  augmentedCriticBatch,
  augmentedCriticInput,
  augmentedCriticInputs,
  augmentedDiscount,
  chainReplayLayout,
  collectChainStep,
  DiffusionAugmentedEnv,
  type DiffusionPolicy,
} from "../diffusion_policy/mod.ts";
import { SAC_SCHEMA, SoftActorCriticParts, type SoftActorCriticState } from "../sac/mod.ts";
import { LagrangeMultiplier, TRUST_REGION_SCHEMA, trustRegionLoss } from "../wpo/mod.ts";

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

/** Mean and eta of a denoising kernel on a batch: `[batch, actDim]` each. */
export interface Kernel {
  mean: tf.Tensor2D;
  eta: tf.Tensor2D;
}

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

/** `KL(N(old.mean, 2 old.eta) || N(mean, 2 eta))` per sample, summed over dims. */
export function kernelKl(old: Kernel, kernel: Kernel): tf.Tensor1D {
  const ratio = tf.div(old.eta, kernel.eta);
  const perDim = tf.mul(
    0.5,
    tf.add(
      tf.sub(tf.sub(ratio, tf.log(ratio)), 1),
      tf.div(tf.square(tf.sub(old.mean, kernel.mean)), tf.mul(2, kernel.eta)),
    ),
  );
  return tf.sum(perDim, 1) as tf.Tensor1D;
}

interface DiffWpoState extends SoftActorCriticState {
  daMdp: ReturnType<DiffusionAugmentedEnv["state"]>;
  lagrange: ReturnType<LagrangeMultiplier["state"]>;
}

/** DiffWPO over a {@link DiffusionPolicy}. */
export class DiffWpo implements Algorithm {
  readonly policy: DiffusionPolicy;
  readonly params: DiffWpoParams;
  envSteps = 0;
  private updates = 0;
  private readonly env: VecEnv;
  private readonly daMdp: DiffusionAugmentedEnv;
  private readonly rng: Rng;
  /** Twin critics, temperature, actor optimiser and replay buffer (of chains). */
  private readonly parts: SoftActorCriticParts;
  private readonly lagrange: LagrangeMultiplier;
  /** K. */
  readonly K: number;
  private readonly gammaAug: number;

  /** Builds the DA-MDP over the env, the critics, temperature, replay and multiplier. */
  constructor(context: AlgorithmContext<DiffWpoParams>) {
    const { env, params, rng } = context;
    this.policy = context.policy as DiffusionPolicy;
    this.params = params;
    this.env = env;
    this.rng = rng;
    this.K = this.policy.steps;
    this.daMdp = DiffusionAugmentedEnv.forPolicy(env, this.policy, rng);
    this.gammaAug = augmentedDiscount(params.gamma, params.augmentedGamma, this.K);
    const criticInputs = augmentedCriticInputs(env, this.K);
    this.parts = new SoftActorCriticParts(context, criticInputs, chainReplayLayout(env, this.K));
    this.lagrange = new LagrangeMultiplier({ init: params.klLambdaInit, lr: params.klLambdaLr });
  }

  /** The twin critics Q(s, a^k, k, a^{k-1}). */
  get critics(): TwinQ {
    return this.parts.critics;
  }

  /** The temperature in use: exactly `params.alpha` unless learned. */
  get alpha(): number {
    return this.params.autotune ? this.parts.temperature.value : this.params.alpha;
  }

  /** Current Lagrange multiplier of the trust region. */
  get lambda(): number {
    return this.lagrange.value;
  }

  /** One env step: K augmented steps through the DA-MDP, recording the latent chain. */
  iterate(): IterationResult {
    const step = collectChainStep(this.daMdp, this.policy, this.rng, this.parts.replay, {
      randomAction: this.envSteps < this.params.learningStarts,
    });
    this.envSteps += this.env.numEnvs;
    const metrics = this.envSteps > this.params.learningStarts ? this.update() : {};
    return { metrics, episodes: step.episodes };
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

  private update(): Record<string, number> {
    const { params, policy, K } = this;
    const { critics, temperature, actorOptimizer, replay } = this.parts;
    const B = params.batchSize;
    const { actDim } = this.env;
    const batch = replay.sample(B, this.rng);
    const alpha = this.alpha;
    this.updates++;
    const metrics: Record<string, number> = { alpha };
    const obs = policy.obsTensor(batch.obs);
    // k uniform in 1..K per sample, the DA-MDP Bellman target at (s, a^k, k, a^{k-1})
    const options = { alpha, gamma: this.gammaAug };
    const q = augmentedCriticBatch(policy, critics, batch, obs, this.rng, options);
    metrics.q_loss = critics.fit(q.input, q.target);
    const { k, a } = q;
    if (this.updates % params.policyFrequency === 0) {
      // the trust region's reference: the kernel on this batch before the actor phase
      const old = params.trustRegion ? tf.tidy(() => policy.denoiseMean(obs, a, k)) : null;
      for (let i = 0; i < params.policyFrequency; i++) {
        const noise = normalTensor(this.rng, [B, actDim]) as tf.Tensor2D;
        const sample = this.actorSample(obs, a, k, noise, this.alpha);
        const lambda = this.lagrange.value;
        let kl: tf.Tensor1D | null = null;
        let violated: tf.Tensor1D | null = null;
        metrics.actor_loss = actorOptimizer.minimize(() => {
          const out = this.actorLoss(obs, a, k, sample, old, lambda);
          kl = tf.keep(out.kl);
          violated = tf.keep(out.violated);
          return out.loss;
        });
        const klT = kl as unknown as tf.Tensor1D;
        const violatedT = violated as unknown as tf.Tensor1D;
        // K * l_k estimates sum_k l_k when k is uniform
        const path = tf.mul(sample.logRatio, K) as tf.Tensor1D;
        metrics.entropy = -tf.tidy(() => tf.mean(path).dataSync()[0]);
        metrics.coef_abs = tf.tidy(() => tf.mean(tf.abs(sample.coef)).dataSync()[0]);
        if (params.autotune) metrics.alpha_loss = temperature.update(path);
        if (old) {
          metrics.kl = tf.tidy(() => tf.mean(klT).dataSync()[0]);
          metrics.kl_violated = tf.tidy(() => tf.mean(violatedT).dataSync()[0]);
          metrics.lambda_loss = this.lagrange.update(klT, params.klBound);
          metrics.lambda = this.lagrange.value;
        }
        tf.dispose([klT, violatedT, noise, path, sample.prev, sample.coef, sample.logRatio]);
      }
      if (old) tf.dispose([old.mean, old.eta]);
    }
    if (this.updates % params.targetNetworkFrequency === 0) critics.updateTargets(params.tau);
    tf.dispose([obs, q.k, q.a, q.prev, q.target, q.input]);
    return metrics;
  }

  /** Critics, optimisers, temperature, multiplier, DA-MDP, replay, generator and counters. */
  state(): DiffWpoState {
    const counters = { envSteps: this.envSteps, updates: this.updates };
    return {
      ...this.parts.state(counters),
      daMdp: this.daMdp.state(),
      lagrange: this.lagrange.state(),
    };
  }

  /** Restores {@link DiffWpo.state}'s output. */
  load(raw: unknown): void {
    const state = raw as DiffWpoState;
    this.parts.load(state);
    this.daMdp.load(state.daMdp);
    this.lagrange.load(state.lagrange);
    this.envSteps = state.envSteps;
    this.updates = state.updates;
  }

  /** Frees tensors (not the policy's). */
  dispose(): void {
    this.parts.dispose();
    this.lagrange.dispose();
  }
}

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
import {
  Adam,
  type Algorithm,
  type AlgorithmContext,
  type IterationResult,
  ReplayBuffer,
  type Rng,
  type RngState,
  Temperature,
  tf,
  TwinQ,
  type ValuesOf,
  type VecEnv,
} from "../../core/mod.ts";
import {
  augmentedGamma,
  DiffusionAugmentedEnv,
  type DiffusionPolicy,
} from "../diffusion_policy/mod.ts";
import { SAC_SCHEMA } from "../sac/mod.ts";
import { LagrangeMultiplier, TRUST_REGION_SCHEMA, trustRegionLoss } from "../wpo/mod.ts";

/** DiffWPO hyper-parameters: SAC's, the augmented discount, and the trust region. */
export const DIFFWPO_SCHEMA = {
  ...SAC_SCHEMA,
  targetEntropyScale: {
    type: "number",
    min: 0,
    default: 1,
    doc: "target of the path entropy estimate = -scale * |A|",
  },
  augmentedGamma: {
    type: "number",
    min: 0,
    max: 1,
    default: 0,
    doc: "per-augmented-step discount; 0 means gamma^(1/K)",
  },
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

interface DiffWpoState {
  envSteps: number;
  updates: number;
  rng: RngState;
  daMdp: ReturnType<DiffusionAugmentedEnv["state"]>;
  critics: ReturnType<TwinQ["state"]>;
  temperature: ReturnType<Temperature["state"]>;
  lagrange: ReturnType<LagrangeMultiplier["state"]>;
  actorOptimizer: ReturnType<Adam["state"]>;
  replay: ReturnType<ReplayBuffer["state"]>;
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
  readonly critics: TwinQ;
  private readonly temperature: Temperature;
  private readonly lagrange: LagrangeMultiplier;
  private readonly actorOptimizer: Adam;
  private readonly replay: ReplayBuffer;
  /** K. */
  readonly K: number;
  private readonly gammaAug: number;

  /** Builds the DA-MDP over the env, the critics, temperature, multiplier and replay. */
  constructor(context: AlgorithmContext<DiffWpoParams>) {
    const { env, params, rng } = context;
    this.policy = context.policy as DiffusionPolicy;
    this.params = params;
    this.env = env;
    this.rng = rng;
    this.K = this.policy.steps;
    this.daMdp = new DiffusionAugmentedEnv(env, {
      steps: this.K,
      sigma0: this.policy.sigma0,
      rng: rng.fork("da-mdp"),
    });
    this.gammaAug = params.augmentedGamma > 0
      ? params.augmentedGamma
      : augmentedGamma(params.gamma, this.K);
    const { obsDim, actDim } = env;
    this.critics = new TwinQ(obsDim + 2 * actDim + this.K, rng, {
      hidden: params.criticHidden,
      activation: params.criticActivation,
      lr: params.qLr,
    });
    this.temperature = new Temperature({
      alpha: params.alpha,
      learned: params.autotune,
      targetEntropy: -params.targetEntropyScale * actDim,
      lr: params.qLr,
    });
    this.lagrange = new LagrangeMultiplier({ init: params.klLambdaInit, lr: params.klLambdaLr });
    this.actorOptimizer = new Adam(this.policy.trainableVariables(), { lr: params.policyLr });
    this.replay = new ReplayBuffer(Math.min(params.bufferSize, context.totalSteps), {
      obs: obsDim,
      chain: (this.K + 1) * actDim,
      reward: 1,
      nextObs: obsDim,
      terminated: 1,
    });
  }

  /** The temperature in use: exactly `params.alpha` unless learned. */
  get alpha(): number {
    return this.params.autotune ? this.temperature.value : this.params.alpha;
  }

  /** Current Lagrange multiplier of the trust region. */
  get lambda(): number {
    return this.lagrange.value;
  }

  /** Normal noise tensor of the given shape from the algorithm's generator. */
  private noise(shape: number[]): tf.Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(this.rng.fillNormal(new Float32Array(size)), shape);
  }

  /** One env step: K augmented steps through the DA-MDP, recording the latent chain. */
  iterate(): IterationResult {
    const { env, policy, K } = this;
    const n = env.numEnvs;
    const { actDim } = env;
    const obs = env.obs.slice();
    // chain rows per env copy: a^K, a^{K-1}, ..., a^0
    const chain = new Float32Array(n * (K + 1) * actDim);
    const record = (latent: Float32Array, slot: number) => {
      for (let i = 0; i < n; i++) {
        chain.set(
          latent.subarray(i * actDim, (i + 1) * actDim),
          (i * (K + 1) + slot) * actDim,
        );
      }
    };
    record(this.daMdp.latent, 0);
    const obsTensor = policy.obsTensor(obs);
    let result = null;
    for (let slot = 1; slot <= K; slot++) {
      const k = this.daMdp.k;
      const noise = this.rng.fillNormal(new Float32Array(n * actDim));
      const next = tf.tidy(() =>
        policy.denoise(
          obsTensor,
          tf.tensor2d(this.daMdp.latent, [n, actDim]),
          tf.fill([n], k, "int32") as tf.Tensor1D,
          tf.tensor2d(noise, [n, actDim]),
        ).next.dataSync() as Float32Array
      );
      record(next, slot);
      result = this.daMdp.step(next);
    }
    obsTensor.dispose();
    if (!result?.envStep || !result.finalObs) throw new Error("DA-MDP did not reach the env step");
    for (let i = 0; i < n; i++) {
      this.replay.add({
        obs,
        chain,
        reward: result.reward,
        nextObs: result.finalObs,
        terminated: result.terminated,
      }, i);
    }
    this.envSteps += n;
    const metrics = this.envSteps > this.params.learningStarts ? this.update() : {};
    return { metrics, episodes: result.episodes };
  }

  /** Rows of the stored chains: slot j holds a^{K-j}. */
  private latentAt(chain: Float32Array, slots: Int32Array, batch: number): tf.Tensor2D {
    const { actDim } = this.env;
    const K = this.K;
    const out = new Float32Array(batch * actDim);
    for (let b = 0; b < batch; b++) {
      const offset = (b * (K + 1) + slots[b]) * actDim;
      out.set(chain.subarray(offset, offset + actDim), b * actDim);
    }
    return tf.tensor2d(out, [batch, actDim]);
  }

  /** Critic input: [s, a^k, one-hot(k), a^{k-1}]. */
  criticInput(obs: tf.Tensor2D, a: tf.Tensor2D, k: tf.Tensor1D, prev: tf.Tensor2D): tf.Tensor2D {
    return tf.concat([obs, a, this.policy.stepOneHot(k), prev], 1) as tf.Tensor2D;
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
    const { params, policy, critics, K } = this;
    const B = params.batchSize;
    const { actDim } = this.env;
    const batch = this.replay.sample(B, this.rng);
    const alpha = this.alpha;
    this.updates++;
    const metrics: Record<string, number> = { alpha };
    const obs = policy.obsTensor(batch.obs);
    // per sample: k uniform in 1..K; a^k in slot K-k, a^{k-1} in slot K-k+1
    const kValues = new Int32Array(B);
    for (let b = 0; b < B; b++) kValues[b] = 1 + this.rng.int(K);
    const k = tf.tensor1d(kValues, "int32");
    const a = this.latentAt(batch.chain, kValues.map((kk) => K - kk), B);
    const prev = this.latentAt(batch.chain, kValues.map((kk) => K - kk + 1), B);
    const priorNoise = this.rng.fillNormal(new Float32Array(B * actDim));
    const targetNoise = this.noise([B, actDim]) as tf.Tensor2D;
    const target = tf.tidy(() => {
      // k > 1: continue inside the chain at (s, a^{k-1}, k-1); k = 1: the next env state
      // (s', a'^K ~ p0, K). Both cases row by row with a mask.
      const isEnvStep = tf.equal(k, 1);
      const nextObs = policy.obsTensor(batch.nextObs);
      const prior = tf.mul(tf.tensor2d(priorNoise, [B, actDim]), policy.sigma0);
      const mask2d = tf.reshape(isEnvStep, [B, 1]);
      const sObs = tf.where(tf.tile(mask2d, [1, obs.shape[1]]), nextObs, obs) as tf.Tensor2D;
      const sA = tf.where(tf.tile(mask2d, [1, actDim]), prior, prev) as tf.Tensor2D;
      const sK = tf.where(
        isEnvStep,
        tf.fill([B], K, "int32"),
        tf.sub(k, tf.scalar(1, "int32")),
      ) as tf.Tensor1D;
      const b = policy.denoise(sObs, sA, sK, targetNoise);
      const minQ = critics.min(this.criticInput(sObs, sA, sK, b.next), { target: true });
      const soft = alpha === 0 ? minQ : tf.sub(minQ, tf.mul(alpha, b.logRatio));
      const envMask = tf.cast(isEnvStep, "float32");
      const reward = tf.mul(tf.tensor1d(batch.reward), envMask);
      const notDone = tf.sub(1, tf.mul(tf.tensor1d(batch.terminated), envMask));
      return tf.add(reward, tf.mul(this.gammaAug, tf.mul(notDone, soft))) as tf.Tensor1D;
    });
    const input = tf.tidy(() => this.criticInput(obs, a, k, prev));
    metrics.q_loss = critics.fit(input, target);
    if (this.updates % params.policyFrequency === 0) {
      // the trust region's reference: the kernel on this batch before the actor phase
      const old = params.trustRegion ? tf.tidy(() => policy.denoiseMean(obs, a, k)) : null;
      for (let i = 0; i < params.policyFrequency; i++) {
        const noise = this.noise([B, actDim]) as tf.Tensor2D;
        const sample = this.actorSample(obs, a, k, noise, this.alpha);
        const lambda = this.lagrange.value;
        let kl: tf.Tensor1D | null = null;
        let violated: tf.Tensor1D | null = null;
        metrics.actor_loss = this.actorOptimizer.minimize(() => {
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
        if (params.autotune) metrics.alpha_loss = this.temperature.update(path);
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
    tf.dispose([obs, k, a, prev, targetNoise, target, input]);
    return metrics;
  }

  /** Critics, optimisers, temperature, multiplier, DA-MDP, replay, generator and counters. */
  state(): DiffWpoState {
    return {
      envSteps: this.envSteps,
      updates: this.updates,
      rng: this.rng.state(),
      daMdp: this.daMdp.state(),
      critics: this.critics.state(),
      temperature: this.temperature.state(),
      lagrange: this.lagrange.state(),
      actorOptimizer: this.actorOptimizer.state(),
      replay: this.replay.state(),
    };
  }

  /** Restores {@link DiffWpo.state}'s output. */
  load(raw: unknown): void {
    const state = raw as DiffWpoState;
    this.critics.load(state.critics);
    this.temperature.load(state.temperature);
    this.lagrange.load(state.lagrange);
    this.actorOptimizer.load(state.actorOptimizer);
    this.replay.load(state.replay);
    this.daMdp.load(state.daMdp);
    this.rng.load(state.rng);
    this.envSteps = state.envSteps;
    this.updates = state.updates;
  }

  /** Frees tensors (not the policy's). */
  dispose(): void {
    this.critics.dispose();
    this.temperature.dispose();
    this.lagrange.dispose();
    this.actorOptimizer.dispose();
  }
}

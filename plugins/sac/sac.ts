/**
 * Soft Actor-Critic (Haarnoja et al. 2018), after CleanRL's sac_continuous_action.py: twin Q
 * networks with Polyak-averaged targets, a tanh-Gaussian actor updated every
 * `policyFrequency` steps (that many times), and a temperature learned toward a target entropy.
 */
import {
  ACTIVATIONS,
  Adam,
  type Algorithm,
  type AlgorithmContext,
  type IterationResult,
  ReplayBuffer,
  type Rng,
  type RngState,
  scaleToBox,
  Temperature,
  tf,
  TwinQ,
  type ValuesOf,
  type VecEnv,
} from "../../core/mod.ts";
import type { GaussianPolicy } from "../gaussian_policy/mod.ts";

/** SAC hyper-parameters (CleanRL defaults). */
export const SAC_SCHEMA = {
  gamma: { type: "number", min: 0, max: 1, default: 0.99 },
  tau: { type: "number", min: 0, max: 1, default: 0.005, doc: "Polyak target rate" },
  batchSize: { type: "number", integer: true, min: 1, default: 256 },
  bufferSize: { type: "number", integer: true, min: 1, default: 1_000_000 },
  learningStarts: { type: "number", integer: true, min: 0, default: 5000 },
  policyLr: { type: "number", min: 0, exclusiveMin: true, default: 3e-4 },
  qLr: { type: "number", min: 0, exclusiveMin: true, default: 1e-3 },
  policyFrequency: { type: "number", integer: true, min: 1, default: 2 },
  targetNetworkFrequency: { type: "number", integer: true, min: 1, default: 1 },
  autotune: { type: "boolean", default: true, doc: "learn alpha toward the target entropy" },
  alpha: { type: "number", min: 0, default: 0.2, doc: "initial (or fixed) temperature" },
  targetEntropyScale: { type: "number", min: 0, default: 1, doc: "target entropy = -scale*|A|" },
  criticHidden: { type: "number[]", integer: true, min: 1, default: [256, 256], minLength: 1 },
  criticActivation: { type: "string", values: ACTIVATIONS, default: "relu" },
} as const;

/** Validated SAC parameters. */
export type SacParams = ValuesOf<typeof SAC_SCHEMA>;

interface SacState {
  envSteps: number;
  updates: number;
  rng: RngState;
  critics: ReturnType<TwinQ["state"]>;
  temperature: ReturnType<Temperature["state"]>;
  actorOptimizer: ReturnType<Adam["state"]>;
  replay: ReturnType<ReplayBuffer["state"]>;
}

/** SAC over a {@link GaussianPolicy}. */
export class Sac implements Algorithm {
  readonly policy: GaussianPolicy;
  readonly params: SacParams;
  envSteps = 0;
  private updates = 0;
  private readonly env: VecEnv;
  private readonly rng: Rng;
  private readonly critics: TwinQ;
  private readonly temperature: Temperature;
  private readonly actorOptimizer: Adam;
  private readonly replay: ReplayBuffer;

  /** Builds critics, targets, optimisers and the replay buffer. */
  constructor(context: AlgorithmContext<SacParams>) {
    const { env, params, rng } = context;
    this.policy = context.policy as GaussianPolicy;
    this.params = params;
    this.env = env;
    this.rng = rng;
    this.critics = new TwinQ(env.obsDim + env.actDim, rng, {
      hidden: params.criticHidden,
      activation: params.criticActivation,
      lr: params.qLr,
    });
    this.temperature = new Temperature({
      alpha: params.alpha,
      learned: params.autotune,
      targetEntropy: -params.targetEntropyScale * env.actDim,
      lr: params.qLr,
    });
    this.actorOptimizer = new Adam(this.policy.trainableVariables(), { lr: params.policyLr });
    this.replay = new ReplayBuffer(Math.min(params.bufferSize, context.totalSteps), {
      obs: env.obsDim,
      action: env.actDim,
      reward: 1,
      nextObs: env.obsDim,
      terminated: 1,
    });
  }

  /**
   * The actor loss `mean(alpha * log pi(a|s) - min(Q1, Q2)(s, a))` with `a` reparameterised
   * from `noise`. The critics contribute only dQ/da (their weights get no gradient).
   */
  actorLoss(
    obs: tf.Tensor2D,
    noise: tf.Tensor2D,
    alpha: number,
  ): { loss: tf.Scalar; logProb: tf.Tensor1D } {
    const s = this.policy.sample(obs, noise);
    const q = this.critics.min(tf.concat([obs, s.y], 1), { weightGrads: false });
    return { loss: tf.mean(tf.sub(tf.mul(alpha, s.logProb), q)) as tf.Scalar, logProb: s.logProb };
  }

  /** One env step for every copy, then one gradient update once learning has started. */
  iterate(): IterationResult {
    const { env, params } = this;
    const n = env.numEnvs;
    const obs = env.obs.slice();
    let y: Float32Array;
    if (this.envSteps < params.learningStarts) {
      y = new Float32Array(n * env.actDim);
      for (let i = 0; i < y.length; i++) y[i] = this.rng.uniformRange(-1, 1);
    } else {
      const noise = this.rng.fillNormal(new Float32Array(n * env.actDim));
      y = tf.tidy(() =>
        this.policy.sample(this.policy.obsTensor(obs), tf.tensor2d(noise, [n, env.actDim])).y
          .dataSync() as Float32Array
      );
    }
    const step = env.step(scaleToBox(y, env.actionSpace));
    for (let i = 0; i < n; i++) {
      this.replay.add({
        obs,
        action: y,
        reward: step.reward,
        nextObs: step.finalObs,
        terminated: step.terminated,
      }, i);
    }
    this.envSteps += n;
    const metrics = this.envSteps > params.learningStarts ? this.update() : {};
    return { metrics, episodes: step.episodes };
  }

  private update(): Record<string, number> {
    const { params, policy, critics } = this;
    const batchSize = params.batchSize;
    const actDim = this.env.actDim;
    const batch = this.replay.sample(batchSize, this.rng);
    const nextNoise = this.rng.fillNormal(new Float32Array(batchSize * actDim));
    const alpha = this.temperature.value;
    this.updates++;
    const metrics: Record<string, number> = { alpha };
    const obs = policy.obsTensor(batch.obs);
    const qInput = tf.tidy(() =>
      tf.concat([obs, tf.tensor2d(batch.action, [batchSize, actDim])], 1) as tf.Tensor2D
    );
    const target = tf.tidy(() => {
      const nextObs = policy.obsTensor(batch.nextObs);
      const next = policy.sample(nextObs, tf.tensor2d(nextNoise, [batchSize, actDim]));
      const minQ = critics.min(tf.concat([nextObs, next.y], 1), { target: true });
      const soft = tf.sub(minQ, tf.mul(alpha, next.logProb));
      const notDone = tf.sub(1, tf.tensor1d(batch.terminated));
      return tf.add(tf.tensor1d(batch.reward), tf.mul(params.gamma, tf.mul(notDone, soft)));
    });
    metrics.q_loss = critics.fit(qInput, target as tf.Tensor1D);
    if (this.updates % params.policyFrequency === 0) {
      // CleanRL compensates the delayed actor update by doing policyFrequency of them.
      for (let k = 0; k < params.policyFrequency; k++) {
        const noise = tf.tensor2d(this.rng.fillNormal(new Float32Array(batchSize * actDim)), [
          batchSize,
          actDim,
        ]);
        let logProb: tf.Tensor1D | null = null;
        metrics.actor_loss = this.actorOptimizer.minimize(() => {
          const out = this.actorLoss(obs, noise, alpha);
          logProb = tf.keep(out.logProb);
          return out.loss;
        });
        const lp = logProb as unknown as tf.Tensor1D;
        metrics.entropy = -tf.tidy(() => tf.mean(lp).dataSync()[0]);
        if (params.autotune) metrics.alpha_loss = this.temperature.update(lp);
        lp.dispose();
        noise.dispose();
      }
    }
    if (this.updates % params.targetNetworkFrequency === 0) critics.updateTargets(params.tau);
    tf.dispose([obs, qInput, target]);
    return metrics;
  }

  /** Critics, optimisers, temperature, replay buffer, generator and counters. */
  state(): SacState {
    return {
      envSteps: this.envSteps,
      updates: this.updates,
      rng: this.rng.state(),
      critics: this.critics.state(),
      temperature: this.temperature.state(),
      actorOptimizer: this.actorOptimizer.state(),
      replay: this.replay.state(),
    };
  }

  /** Restores {@link Sac.state}'s output. */
  load(raw: unknown): void {
    const state = raw as SacState;
    this.critics.load(state.critics);
    this.temperature.load(state.temperature);
    this.actorOptimizer.load(state.actorOptimizer);
    this.replay.load(state.replay);
    this.rng.load(state.rng);
    this.envSteps = state.envSteps;
    this.updates = state.updates;
  }

  /** Frees tensors (not the policy's, which the trainer owns). */
  dispose(): void {
    this.critics.dispose();
    this.temperature.dispose();
    this.actorOptimizer.dispose();
  }
}

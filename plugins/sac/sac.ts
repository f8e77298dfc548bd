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
  copyVariables,
  exportVariables,
  importVariables,
  type IterationResult,
  Mlp,
  polyakUpdate,
  ReplayBuffer,
  type Rng,
  type RngState,
  scaleToBox,
  tf,
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
  critics: ReturnType<typeof exportVariables>;
  logAlpha: number;
  qOptimizer: ReturnType<Adam["state"]>;
  actorOptimizer: ReturnType<Adam["state"]>;
  alphaOptimizer: ReturnType<Adam["state"]>;
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
  private readonly q1: Mlp;
  private readonly q2: Mlp;
  private readonly q1Target: Mlp;
  private readonly q2Target: Mlp;
  private readonly logAlpha: tf.Variable;
  private readonly qOptimizer: Adam;
  private readonly actorOptimizer: Adam;
  private readonly alphaOptimizer: Adam;
  private readonly replay: ReplayBuffer;
  private readonly targetEntropy: number;

  /** Builds critics, targets, optimisers and the replay buffer. */
  constructor(context: AlgorithmContext<SacParams>) {
    const { env, params, rng } = context;
    this.policy = context.policy as GaussianPolicy;
    this.params = params;
    this.env = env;
    this.rng = rng;
    const inputs = env.obsDim + env.actDim;
    const critic = () =>
      new Mlp(inputs, 1, rng, { hidden: params.criticHidden, activation: params.criticActivation });
    this.q1 = critic();
    this.q2 = critic();
    this.q1Target = critic();
    this.q2Target = critic();
    copyVariables(this.q1Target.variables(), this.q1.variables());
    copyVariables(this.q2Target.variables(), this.q2.variables());
    this.logAlpha = tf.variable(tf.scalar(Math.log(Math.max(params.alpha, 1e-12))));
    this.qOptimizer = new Adam([...this.q1.variables(), ...this.q2.variables()], {
      lr: params.qLr,
    });
    this.actorOptimizer = new Adam(this.policy.trainableVariables(), { lr: params.policyLr });
    this.alphaOptimizer = new Adam([this.logAlpha], { lr: params.qLr });
    this.targetEntropy = -params.targetEntropyScale * env.actDim;
    this.replay = new ReplayBuffer(Math.min(params.bufferSize, context.totalSteps), {
      obs: env.obsDim,
      action: env.actDim,
      reward: 1,
      nextObs: env.obsDim,
      terminated: 1,
    });
  }

  private alpha(): number {
    return Math.exp(this.logAlpha.dataSync()[0]);
  }

  /** Q(s, a); `weightGrads` false when only dQ/da is needed (the actor loss). */
  private q(net: Mlp, obs: tf.Tensor, action: tf.Tensor, weightGrads = true): tf.Tensor1D {
    return tf.squeeze(net.apply(tf.concat([obs, action], 1), weightGrads), [1]) as tf.Tensor1D;
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
    const q = tf.minimum(
      this.q(this.q1, obs, s.y, false),
      this.q(this.q2, obs, s.y, false),
    );
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
    const { params, policy } = this;
    const batchSize = params.batchSize;
    const actDim = this.env.actDim;
    const batch = this.replay.sample(batchSize, this.rng);
    const nextNoise = this.rng.fillNormal(new Float32Array(batchSize * actDim));
    const alpha = this.alpha();
    this.updates++;
    const metrics: Record<string, number> = { alpha };
    const obs = policy.obsTensor(batch.obs);
    const nextObs = policy.obsTensor(batch.nextObs);
    const action = tf.tensor2d(batch.action, [batchSize, actDim]);
    const target = tf.tidy(() => {
      const next = policy.sample(nextObs, tf.tensor2d(nextNoise, [batchSize, actDim]));
      const q1 = this.q(this.q1Target, nextObs, next.y);
      const q2 = this.q(this.q2Target, nextObs, next.y);
      const soft = tf.sub(tf.minimum(q1, q2), tf.mul(alpha, next.logProb));
      const notDone = tf.sub(1, tf.tensor1d(batch.terminated));
      return tf.add(tf.tensor1d(batch.reward), tf.mul(params.gamma, tf.mul(notDone, soft)));
    });
    metrics.q_loss = this.qOptimizer.minimize(() => {
      const l1 = tf.mean(tf.square(tf.sub(this.q(this.q1, obs, action), target)));
      const l2 = tf.mean(tf.square(tf.sub(this.q(this.q2, obs, action), target)));
      return tf.add(l1, l2) as tf.Scalar;
    });
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
        if (params.autotune) {
          metrics.alpha_loss = this.alphaOptimizer.minimize(() =>
            tf.mean(
              tf.mul(tf.neg(tf.exp(this.logAlpha)), tf.add(lp, this.targetEntropy)),
            ) as tf.Scalar
          );
        }
        lp.dispose();
        noise.dispose();
      }
    }
    if (this.updates % params.targetNetworkFrequency === 0) {
      polyakUpdate(this.q1Target.variables(), this.q1.variables(), params.tau);
      polyakUpdate(this.q2Target.variables(), this.q2.variables(), params.tau);
    }
    tf.dispose([obs, nextObs, action, target]);
    return metrics;
  }

  private criticVariables(): tf.Variable[] {
    return [
      ...this.q1.variables(),
      ...this.q2.variables(),
      ...this.q1Target.variables(),
      ...this.q2Target.variables(),
    ];
  }

  /** Critics, optimisers, temperature, replay buffer, generator and counters. */
  state(): SacState {
    return {
      envSteps: this.envSteps,
      updates: this.updates,
      rng: this.rng.state(),
      critics: exportVariables("critics", this.criticVariables()),
      logAlpha: this.logAlpha.dataSync()[0],
      qOptimizer: this.qOptimizer.state(),
      actorOptimizer: this.actorOptimizer.state(),
      alphaOptimizer: this.alphaOptimizer.state(),
      replay: this.replay.state(),
    };
  }

  /** Restores {@link Sac.state}'s output. */
  load(raw: unknown): void {
    const state = raw as SacState;
    importVariables("critics", this.criticVariables(), state.critics);
    this.logAlpha.assign(tf.scalar(state.logAlpha));
    this.qOptimizer.load(state.qOptimizer);
    this.actorOptimizer.load(state.actorOptimizer);
    this.alphaOptimizer.load(state.alphaOptimizer);
    this.replay.load(state.replay);
    this.rng.load(state.rng);
    this.envSteps = state.envSteps;
    this.updates = state.updates;
  }

  /** Frees tensors (not the policy's, which the trainer owns). */
  dispose(): void {
    for (const v of this.criticVariables()) v.dispose();
    this.logAlpha.dispose();
    this.qOptimizer.dispose();
    this.actorOptimizer.dispose();
    this.alphaOptimizer.dispose();
  }
}

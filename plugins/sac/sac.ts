/**
 * Soft Actor-Critic (Haarnoja et al. 2018), after CleanRL's sac_continuous_action.py: twin Q
 * networks with Polyak-averaged targets, a tanh-Gaussian actor updated every
 * `policyFrequency` steps (that many times), and a temperature learned toward a target entropy.
 */
import type {
  Algorithm,
  AlgorithmContext,
  IterationResult,
  Rng,
  ValuesOf,
  VecEnv,
} from "../../core/mod.ts";
import { ACTIVATIONS, normalTensor, tf } from "../../core/tensor/mod.ts";
import type { GaussianPolicy } from "../gaussian_policy/mod.ts";
import {
  collectGaussianStep,
  gaussianReplayLayout,
  softCriticBatch,
} from "../learners/gaussian_off_policy.ts";
import { SoftActorCriticParts, type SoftActorCriticState } from "../learners/soft_actor_critic.ts";

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

/** SAC over a {@link GaussianPolicy}. */
export class Sac implements Algorithm {
  readonly policy: GaussianPolicy;
  readonly params: SacParams;
  envSteps = 0;
  private updates = 0;
  private readonly env: VecEnv;
  private readonly rng: Rng;
  /** Twin critics, temperature, actor optimiser and replay buffer. */
  private readonly parts: SoftActorCriticParts;

  /** Builds critics, targets, optimisers and the replay buffer. */
  constructor(context: AlgorithmContext<SacParams>) {
    const { env, params, rng } = context;
    this.policy = context.policy as GaussianPolicy;
    this.params = params;
    this.env = env;
    this.rng = rng;
    this.parts = new SoftActorCriticParts(
      context,
      env.obsDim + env.actDim,
      gaussianReplayLayout(env),
      env.obsDim,
    );
  }

  /**
   * The actor loss `mean(alpha * log pi(a|s) - min(Q1, Q2)(s, a))` with `a` reparameterised
   * from `noise`. The critics contribute only dQ/da (their weights get no gradient);
   * `criticFeatures` are the critics' `obsFeatures` of `obs` when computed once
   * for several steps.
   */
  actorLoss(
    obs: tf.Tensor2D,
    noise: tf.Tensor2D,
    alpha: number,
    criticFeatures: tf.Tensor3D | null = null,
  ): { loss: tf.Scalar; logProb: tf.Tensor1D } {
    const s = this.policy.sampleAction(obs, noise);
    const q = this.parts.critics.minOf(obs, s.y, {
      weightGrads: false,
      features: criticFeatures,
    });
    return { loss: tf.mean(tf.sub(tf.mul(alpha, s.logProb), q)) as tf.Scalar, logProb: s.logProb };
  }

  /** One env step for every copy, then one gradient update once learning has started. */
  iterate(): IterationResult {
    const { env, params } = this;
    // uniform random actions before learningStarts, then the policy's samples
    const random = this.envSteps < params.learningStarts;
    const step = collectGaussianStep(env, this.policy, this.rng, this.parts.replay, random);
    this.envSteps += env.numEnvs;
    const metrics = this.envSteps > params.learningStarts ? this.update() : {};
    return { metrics, episodes: step.episodes };
  }

  private update(): Record<string, number> {
    const { params, policy } = this;
    const { critics, temperature, actorOptimizer, replay } = this.parts;
    const batchSize = params.batchSize;
    const actDim = this.env.actDim;
    const batch = replay.sample(batchSize, this.rng);
    const alpha = temperature.value;
    this.updates++;
    const metrics: Record<string, number> = { alpha };
    const obs = policy.obsTensor(batch.obs);
    // soft Bellman target r + gamma (1 - d) (min Q'(s', a') - alpha log pi(a'|s')), a' ~ pi(s')
    const q = softCriticBatch(policy, critics, batch, obs, this.rng, {
      alpha,
      gamma: params.gamma,
    });
    metrics.q_loss = critics.fitOf(obs, q.action, q.target);
    if (this.updates % params.policyFrequency === 0) {
      // the critics do not change during the actor steps: their obs product is computed once
      const features = critics.obsFeatures(obs);
      // CleanRL compensates the delayed actor update by doing policyFrequency of them.
      for (let k = 0; k < params.policyFrequency; k++) {
        const noise = normalTensor(this.rng, [batchSize, actDim]) as tf.Tensor2D;
        let logProb: tf.Tensor1D | null = null;
        metrics.actor_loss = actorOptimizer.minimize(() => {
          const out = this.actorLoss(obs, noise, alpha, features);
          logProb = tf.keep(out.logProb);
          return out.loss;
        });
        const lp = logProb as unknown as tf.Tensor1D;
        metrics.entropy = -tf.tidy(() => tf.mean(lp).dataSync()[0]);
        if (params.autotune) metrics.alpha_loss = temperature.update(lp);
        lp.dispose();
        noise.dispose();
      }
      features?.dispose();
    }
    if (this.updates % params.targetNetworkFrequency === 0) critics.updateTargets(params.tau);
    tf.dispose([obs, q.action, q.target]);
    return metrics;
  }

  /** Critics, optimisers, temperature, replay buffer, generator and counters. */
  state(): SoftActorCriticState {
    return this.parts.state({ envSteps: this.envSteps, updates: this.updates });
  }

  /** Restores {@link Sac.state}'s output. */
  load(raw: unknown): void {
    const state = raw as SoftActorCriticState;
    this.parts.load(state);
    this.envSteps = state.envSteps;
    this.updates = state.updates;
  }

  /** Frees tensors (not the policy's, which the trainer owns). */
  dispose(): void {
    this.parts.dispose();
  }
}

/**
 * Twin Delayed DDPG (Fujimoto et al. 2018), after CleanRL's td3_continuous_action.py, on the
 * off-policy skeleton (replay, warm-up, counters, schedule and checkpoints are the skeleton's).
 *
 * - Exploration: `a = clip(mu(s) + N(0, explorationNoise), -1, 1)` (uniform random actions
 *   before `learningStarts`). Actions are kept in [-1, 1] and rescaled to the Box by the env
 *   step, so CleanRL's `action_scale` factors are 1 here.
 * - Critics: twin Q toward `r + gamma (1 - done) min(Q1', Q2')(s', a')` with target policy
 *   smoothing `a' = clip(mu'(s') + clip(N(0, policyNoise), -noiseClip, noiseClip), -1, 1)`.
 * - Delayed actor: every `policyFrequency` updates, one step on `-mean Q1(s, mu(s))`, then the
 *   target actor and both target critics move toward the online ones by `tau`.
 */
import type { AlgorithmContext, EpisodeStat, Metrics, ValuesOf } from "../../core/mod.ts";
import { normalTensor, polyakUpdate, tf } from "../../core/tensor/mod.ts";
import {
  type ActorPhase,
  collectStep,
  type DeterministicPolicy,
  OFF_POLICY_SCHEMA,
  OffPolicyAlgorithm,
  transitionReplayLayout,
  type UpdateScope,
} from "../learners/mod.ts";

/** The skeleton's parameters less the two TD3 redefines (typed, for the public API). */
const offPolicy: Omit<typeof OFF_POLICY_SCHEMA, "policyFrequency" | "targetNetworkFrequency"> =
  (() => {
    const { policyFrequency: _p, targetNetworkFrequency: _t, ...rest } = OFF_POLICY_SCHEMA;
    return rest;
  })();
const policyFrequency = OFF_POLICY_SCHEMA.policyFrequency;

/** TD3 hyper-parameters (CleanRL's defaults). */
export const TD3_SCHEMA = {
  ...offPolicy,
  learningStarts: { ...offPolicy.learningStarts, default: 25_000 },
  qLr: { ...offPolicy.qLr, default: 3e-4 },
  policyFrequency: { ...policyFrequency, doc: "updates between actor and target updates" },
  explorationNoise: {
    type: "number",
    min: 0,
    default: 0.1,
    doc: "std of the Gaussian exploration noise, in units of the Box half-width",
  },
  policyNoise: {
    type: "number",
    min: 0,
    default: 0.2,
    doc: "std of the target policy smoothing noise, in units of the Box half-width",
  },
  noiseClip: {
    type: "number",
    min: 0,
    default: 0.5,
    doc: "the smoothing noise is clipped to [-noiseClip, noiseClip]",
  },
} as const;

/** Validated TD3 parameters. */
export type Td3Params = ValuesOf<typeof TD3_SCHEMA>;

/** What TD3's critic step leaves for its actor phase. */
interface Td3Scope extends UpdateScope {
  obs: tf.Tensor2D;
}

/** TD3 over a {@link DeterministicPolicy}. */
export class Td3 extends OffPolicyAlgorithm<DeterministicPolicy, Td3Params> {
  /** mu', the Polyak-averaged copy of the actor used in the critic target. */
  readonly targetActor: DeterministicPolicy;

  /** Builds the critics, the actor's Adam, the replay buffer and the target actor. */
  constructor(context: AlgorithmContext<Td3Params, DeterministicPolicy>) {
    const { env, params, rng } = context;
    super(context, {
      criticInputs: env.obsDim + env.actDim,
      criticObsInputs: env.obsDim,
      replayLayout: transitionReplayLayout(env),
      schedule: {
        actorEvery: params.policyFrequency,
        actorSteps: 1,
        targetsEvery: params.policyFrequency,
      },
    });
    this.targetActor = context.makePolicy(rng.fork("target-actor"));
    this.targetActor.loadWeights(this.policy.weights());
    this.addPart("targetActor", policyPart(this.targetActor));
  }

  /** The actor loss `-mean Q1(s, mu(s))`; the critics' weights get no gradient. */
  actorLoss(obs: tf.Tensor2D): tf.Scalar {
    const q1 = this.critics.firstOf(obs, this.policy.action(obs), { weightGrads: false });
    return tf.neg(tf.mean(q1)) as tf.Scalar;
  }

  /** `mu(s)` plus Gaussian exploration noise, clipped to [-1, 1] (uniform before learning). */
  protected collect(random: boolean): EpisodeStat[] {
    const { env, rng, params } = this;
    return collectStep(env, rng, this.replay, random, (obs) => {
      const mu = tf.tidy(() =>
        this.policy.action(this.policy.obsTensor(obs)).dataSync() as Float32Array
      );
      const noise = rng.fillNormal(new Float32Array(mu.length));
      return mu.map((m, i) => Math.min(1, Math.max(-1, m + params.explorationNoise * noise[i])));
    }).episodes;
  }

  /** Fits both critics to `r + gamma (1 - done) min Q'(s', a')` with smoothed target actions. */
  protected criticStep(batch: Record<string, Float32Array>, metrics: Metrics): Td3Scope {
    const { params, policy, critics } = this;
    const obs = policy.obsTensor(batch.obs);
    const B = obs.shape[0];
    const noise = normalTensor(this.rng, [B, this.env.actDim]);
    const target = tf.tidy(() => {
      const nextObs = policy.obsTensor(batch.nextObs);
      const smoothing = tf.clipByValue(
        tf.mul(noise, params.policyNoise),
        -params.noiseClip,
        params.noiseClip,
      );
      const next = tf.clipByValue(tf.add(this.targetActor.action(nextObs), smoothing), -1, 1);
      const minQ = critics.minOf(nextObs, next as tf.Tensor2D, { target: true });
      const notDone = tf.sub(1, tf.tensor1d(batch.terminated));
      return tf.add(tf.tensor1d(batch.reward), tf.mul(params.gamma, tf.mul(notDone, minQ)));
    }) as tf.Tensor1D;
    const action = tf.tensor2d(batch.action, [B, this.env.actDim]);
    metrics.q_loss = critics.fitOf(obs, action, target);
    metrics.q_target = tf.tidy(() => tf.mean(target).dataSync()[0]);
    tf.dispose([noise, target, action]);
    return { obs, dispose: () => obs.dispose() };
  }

  /** One actor step on the batch. */
  protected actorPhase({ obs }: Td3Scope): ActorPhase {
    return {
      step: (metrics) => {
        metrics.actor_loss = this.actorOptimizer.minimize(() => this.actorLoss(obs));
      },
    };
  }

  /** Moves the target critics and the target actor toward the online networks. */
  protected override updateTargets(): void {
    super.updateTargets();
    polyakUpdate(
      this.targetActor.trainableVariables(),
      this.policy.trainableVariables(),
      this.params.tau,
    );
  }
}

/** A policy as a learner part: its weights are its checkpoint state. */
function policyPart(policy: DeterministicPolicy) {
  return {
    state: () => policy.weights(),
    load: (weights: ReturnType<DeterministicPolicy["weights"]>) => policy.loadWeights(weights),
    dispose: () => policy.dispose(),
  };
}

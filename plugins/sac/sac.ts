/**
 * Soft Actor-Critic (Haarnoja et al. 2018), after CleanRL's sac_continuous_action.py: twin Q
 * networks with Polyak-averaged targets, a tanh-Gaussian actor updated every
 * `policyFrequency` steps (that many times), and a temperature learned toward a target entropy.
 * The replay, counters, warm-up and schedule are the off-policy skeleton's.
 */
import type { AlgorithmContext, EpisodeStat, Metrics } from "../../core/mod.ts";
import { normalTensor, tf } from "../../core/tensor/mod.ts";
import {
  type ActorPhase,
  collectGaussianStep,
  fitSoftCritics,
  fusedActorLoss,
  fusedSacAvailable,
  type GaussianPolicy,
  meanOf,
  minimizeKeeping,
  OffPolicyAlgorithm,
  type SacParams,
  sacSchedule,
  softTemperature,
  type Temperature,
  transitionReplayLayout,
  type UpdateScope,
} from "../learners/mod.ts";

/** What SAC's critic step leaves for its actor phase. */
interface SacScope extends UpdateScope {
  /** Normalised observations of the batch. */
  obs: tf.Tensor2D;
  /** The temperature the update started with. */
  alpha: number;
}

/** SAC over a {@link GaussianPolicy}. */
export class Sac extends OffPolicyAlgorithm<GaussianPolicy, SacParams> {
  /** The entropy temperature alpha. */
  readonly temperature: Temperature;

  /** Builds critics, targets, optimisers, the replay buffer and the temperature. */
  constructor(context: AlgorithmContext<SacParams, GaussianPolicy>) {
    const { env } = context;
    super(context, {
      criticInputs: env.obsDim + env.actDim,
      criticObsInputs: env.obsDim,
      replayLayout: transitionReplayLayout(env),
      schedule: sacSchedule(context.params),
    });
    this.temperature = this.addPart("temperature", softTemperature(context.params, env.actDim));
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
    const squashed = fusedSacAvailable() ? this.policy.sampleSquashed(obs, noise) : null;
    if (squashed) {
      // on wasm, the loss around the networks as one fused op (the same bits)
      const options = { weightGrads: false, features: criticFeatures };
      const qPair = this.critics.pairOf(obs, squashed.y, options);
      const { loss, logProb } = fusedActorLoss(squashed.packed, qPair, alpha);
      return { loss, logProb: tf.tensor1d(logProb) };
    }
    const s = this.policy.sampleAction(obs, noise);
    const q = this.critics.minOf(obs, s.y, { weightGrads: false, features: criticFeatures });
    return { loss: tf.mean(tf.sub(tf.mul(alpha, s.logProb), q)) as tf.Scalar, logProb: s.logProb };
  }

  /** Uniform random actions before learningStarts, then the policy's samples. */
  protected collect(random: boolean): EpisodeStat[] {
    return collectGaussianStep(this.env, this.policy, this.rng, this.replay, random).episodes;
  }

  /** Fits the critics to the soft Bellman target `r + gamma (1 - d) (min Q' - alpha log pi)`. */
  protected criticStep(batch: Record<string, Float32Array>, metrics: Metrics): SacScope {
    const alpha = this.temperature.value;
    metrics.alpha = alpha;
    const { loss, obs } = fitSoftCritics(this.policy, this.critics, batch, this.rng, {
      alpha,
      gamma: this.params.gamma,
    });
    metrics.q_loss = loss;
    return { obs, alpha, dispose: () => obs.dispose() };
  }

  /** Actor steps on the batch, each followed by a temperature step (when learned). */
  protected actorPhase(scope: SacScope): ActorPhase {
    const { obs, alpha } = scope;
    // the critics do not change during the actor steps: their obs product is computed once
    const features = this.critics.obsFeatures(obs);
    return {
      step: (metrics) => {
        const noise = normalTensor(this.rng, [obs.shape[0], this.env.actDim]) as tf.Tensor2D;
        const { loss, kept } = minimizeKeeping(
          this.actorOptimizer,
          () => this.actorLoss(obs, noise, alpha, features),
        );
        metrics.actor_loss = loss;
        metrics.entropy = -meanOf(kept.logProb);
        if (this.params.autotune) metrics.alpha_loss = this.temperature.update(kept.logProb);
        tf.dispose([kept.logProb, noise]);
      },
      dispose: () => features?.dispose(),
    };
  }
}

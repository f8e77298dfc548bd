/**
 * DiffSAC: Soft Actor-Critic with the diffusion policy (DMERL), two surrogates.
 *
 * `augmented` (the DA-MDP form): every env transition is stored with the latent chain
 * a^K..a^0 that produced its action, so each `(s, a^k, k) -> a^{k-1}` is a real DA-MDP
 * transition. Updates sample a transition and a k uniformly; the critic is
 * Q(s, a^k, k, a^{k-1}) with the DA-MDP Bellman target
 *   k > 1: y = gamma_aug (Q'(s, a^{k-1}, k-1, b) - alpha l(b)),  b ~ q(. | s, a^{k-1}, k-1)
 *   k = 1: y = r + gamma_aug (1 - done) (Q'(s', a'^K, K, b') - alpha l(b')),  a'^K ~ p0
 * and the actor minimises `alpha l_k(a^{k-1}) - Q(s, a^k, k, a^{k-1})` through ONE
 * reparameterised step: O(1) in K per update.
 *
 * `chain`: Q(s, a) on env actions; the actor minimises `alpha sum_k l_k - Q(s, squash(a^0))`
 * through all K steps; target `r + gamma (min Q'(s', a'^0) - alpha sum_k l'_k)`.
 *
 * The temperature is learned toward `-targetEntropyScale * |A|` on the path estimate of the
 * entropy, `-sum_k l_k` (`-K l_k` for one sampled k). With `squashEntropy` (chain surrogate)
 * the estimate is of the env action's entropy: `-sum_k l_k + sum_d log(1 - tanh(a^0_d)^2)`,
 * SAC's tanh correction. The latent's entropy grows without bound as tanh saturates, so on
 * tasks whose reward scale is small against it the latent-entropy objective spreads the
 * latents into saturation; the action's entropy is bounded by the Box.
 *
 * `actorLoss: "log-variance"` (chain surrogate) replaces the reparameterised actor loss by the
 * log-variance loss of diffusion samplers (`../learners/log_variance.ts`): `lvSamples` chains
 * per replayed state, drawn without gradient, and the variance over them of
 * `log p0(a^K) + sum_k l_k - Q(s, squash(a^0)) / alpha` (with `squashEntropy`, minus the tanh
 * log-determinant). No gradient goes through Q's action input.
 */
import {
  type AlgorithmContext,
  ConfigError,
  type EpisodeStat,
  type Metrics,
  type ValuesOf,
} from "../../core/mod.ts";
import { normalTensor, tanhLogDet, tf } from "../../core/tensor/mod.ts";
import {
  type ActorPhase,
  AUGMENTED_CRITIC_SCHEMA,
  augmentedCriticBatch,
  augmentedCriticInput,
  augmentedCriticInputs,
  augmentedDiscount,
  chainReplayLayout,
  collectChainStep,
  detachedChains,
  DiffusionAugmentedEnv,
  type DiffusionPolicy,
  latentAt,
  logVarianceLoss,
  meanOf,
  minimizeKeeping,
  OffPolicyAlgorithm,
  repeatRows,
  SAC_SCHEMA,
  sacSchedule,
  softTemperature,
  type Temperature,
  type UpdateScope,
} from "../learners/mod.ts";

/** DiffSAC hyper-parameters: SAC's, plus the surrogate and the augmented discount. */
export const DIFFSAC_SCHEMA = {
  ...SAC_SCHEMA,
  surrogate: {
    type: "string",
    values: ["augmented", "chain"],
    default: "chain",
    doc: "augmented: one DA-MDP denoising step per update; chain: through all K steps",
  },
  squashEntropy: {
    type: "boolean",
    default: false,
    doc: "chain surrogate: entropy of the env action tanh(a^0), not of the latent a^0 " +
      "(adds SAC's tanh correction to the path estimate)",
  },
  actorLoss: {
    type: "string",
    values: ["reparameterised", "log-variance"],
    default: "reparameterised",
    doc: "chain surrogate's actor objective: the reparameterised soft-Q loss, or the " +
      "log-variance loss over lvSamples chains per state",
  },
  lvSamples: {
    type: "number",
    integer: true,
    min: 2,
    default: 8,
    doc: "M: chains per state of the log-variance loss",
  },
  ...AUGMENTED_CRITIC_SCHEMA,
  augmentedGamma: {
    ...AUGMENTED_CRITIC_SCHEMA.augmentedGamma,
    doc: "per-augmented-step discount (augmented surrogate); 0 means gamma^(1/K)",
  },
} as const;

/** Validated DiffSAC parameters. */
export type DiffSacParams = ValuesOf<typeof DIFFSAC_SCHEMA>;

/** An actor objective on the update's batch: the loss and the path log ratio `sum_k l_k`. */
type ActorObjective = () => { loss: tf.Scalar; pathLogRatio: tf.Tensor1D };

/** What DiffSAC's critic step leaves for its actor phase. */
interface DiffSacScope extends UpdateScope {
  actorObjective: ActorObjective;
}

/** DiffSAC over a {@link DiffusionPolicy}. */
export class DiffSac extends OffPolicyAlgorithm<DiffusionPolicy, DiffSacParams> {
  /** The entropy temperature alpha (on the path entropy estimate). */
  readonly temperature: Temperature;
  private readonly daMdp: DiffusionAugmentedEnv;
  /** K. */
  private readonly K: number;
  private readonly gammaAug: number;

  /** Builds the DA-MDP over the env, the critics, the temperature and the replay buffer. */
  constructor(context: AlgorithmContext<DiffSacParams, DiffusionPolicy>) {
    const { env, params, policy, rng } = context;
    if (params.squashEntropy && params.surrogate !== "chain") {
      throw new ConfigError(
        "algoParams.squashEntropy: only the 'chain' surrogate supports it (surrogate is " +
          `'${params.surrogate}')`,
      );
    }
    if (params.actorLoss === "log-variance" && params.surrogate !== "chain") {
      throw new ConfigError(
        "algoParams.actorLoss: 'log-variance' needs the 'chain' surrogate (surrogate is " +
          `'${params.surrogate}')`,
      );
    }
    if (params.actorLoss === "log-variance" && params.alpha <= 0) {
      throw new ConfigError(
        "algoParams.alpha: the log-variance loss divides Q by alpha; allowed: alpha > 0",
      );
    }
    const K = policy.steps;
    // the DA-MDP's first prior draw comes before the critics' weights
    const daMdp = DiffusionAugmentedEnv.forPolicy(env, policy, rng);
    const augmented = params.surrogate === "augmented";
    super(context, {
      // augmented critic input: s, a^k, one-hot(k), a^{k-1}; chain critic: s, squash(a^0)
      criticInputs: augmented ? augmentedCriticInputs(env, K) : env.obsDim + env.actDim,
      criticObsInputs: augmented ? undefined : env.obsDim,
      replayLayout: chainReplayLayout(env, K),
      schedule: sacSchedule(params),
    });
    this.K = K;
    this.daMdp = this.addPart("daMdp", daMdp);
    this.gammaAug = augmentedDiscount(params.gamma, params.augmentedGamma, K);
    this.temperature = this.addPart("temperature", softTemperature(params, env.actDim));
  }

  /** One env step: K augmented steps through the DA-MDP, recording the latent chain. */
  protected collect(random: boolean): EpisodeStat[] {
    return collectChainStep(this.daMdp, this.policy, this.rng, this.replay, {
      randomAction: random,
    }).episodes;
  }

  /**
   * The actor loss of the augmented surrogate: `mean(alpha l_k(b) - min Q(s, a^k, k, b))` with
   * `b` one reparameterised denoising step from the stored `(s, a^k, k)`.
   */
  augmentedActorLoss(
    obs: tf.Tensor2D,
    a: tf.Tensor2D,
    k: tf.Tensor1D,
    noise: tf.Tensor2D,
    alpha: number,
  ): { loss: tf.Scalar; pathLogRatio: tf.Tensor1D } {
    const step = this.policy.denoise(obs, a, k, noise);
    const input = augmentedCriticInput(this.policy, obs, a, k, step.next);
    const q = this.critics.min(input, { weightGrads: false });
    return {
      loss: tf.mean(tf.sub(tf.mul(alpha, step.logRatio), q)) as tf.Scalar,
      // K * l_k estimates sum_k l_k when k is uniform
      pathLogRatio: tf.mul(step.logRatio, this.K) as tf.Tensor1D,
    };
  }

  /** The actor loss of the chain surrogate: `mean(alpha sum_k l_k - min Q(s, squash(a^0)))`. */
  chainActorLoss(
    obs: tf.Tensor2D,
    noise: tf.Tensor3D,
    alpha: number,
  ): { loss: tf.Scalar; pathLogRatio: tf.Tensor1D } {
    const chain = this.policy.sampleChain(obs, noise);
    const y = tf.clipByValue(tf.tanh(chain.latents[this.K]), -0.999, 0.999);
    const q = this.critics.minOf(obs, y, { weightGrads: false });
    const logRatio = this.chainLogRatio(chain.logRatioSum, y);
    return {
      loss: tf.mean(tf.sub(tf.mul(alpha, logRatio), q)) as tf.Scalar,
      pathLogRatio: logRatio,
    };
  }

  /**
   * The log-variance actor loss on `lvSamples` fresh chains per state of `obs` (normalised),
   * drawn from the current policy without gradient; `noise` is `[B * M, K + 1, actDim]`.
   * `pathLogRatio` is the chains' log ratio as in {@link DiffSac.chainLogRatio}.
   */
  logVarianceActorLoss(
    obs: tf.Tensor2D,
    noise: tf.Tensor3D,
    alpha: number,
  ): { loss: tf.Scalar; pathLogRatio: tf.Tensor1D } {
    const M = this.params.lvSamples;
    const obsM = repeatRows(obs, M);
    const latents = detachedChains(this.policy, obsM, noise);
    const y = tf.clipByValue(tf.tanh(latents[this.K]), -0.999, 0.999) as tf.Tensor2D;
    const q = this.critics.minOf(obsM, y, { weightGrads: false });
    // -Q / alpha, and the tanh change of variables when the target lives on the env action
    const zero = tf.zeros([obsM.shape[0]]) as tf.Tensor1D;
    const offset = tf.add(tf.div(q, -alpha), this.chainLogRatio(zero, y)) as tf.Tensor1D;
    const lv = logVarianceLoss(this.policy, { obs: obsM, latents, offset }, M);
    return { loss: lv.loss, pathLogRatio: this.chainLogRatio(lv.logRatioSum, y) };
  }

  /**
   * The chain's `sum_k l_k`, minus `sum_d log(1 - y_d^2 + 1e-6)` for the squashed action `y`
   * when `squashEntropy` is on (its negative then estimates the entropy of `y`, not of a^0).
   */
  chainLogRatio(logRatioSum: tf.Tensor1D, y: tf.Tensor2D): tf.Tensor1D {
    if (!this.params.squashEntropy) return logRatioSum;
    return tf.sub(logRatioSum, tanhLogDet(y)) as tf.Tensor1D;
  }

  /** The surrogate's critic step; the scope holds its actor objective on the same batch. */
  protected criticStep(batch: Record<string, Float32Array>, metrics: Metrics): DiffSacScope {
    const alpha = this.temperature.value;
    metrics.alpha = alpha;
    const obs = this.policy.obsTensor(batch.obs);
    return this.params.surrogate === "augmented"
      ? this.augmentedCriticStep(batch, obs, alpha, metrics)
      : this.chainCriticStep(batch, obs, alpha, metrics);
  }

  /** k uniform in 1..K per sample, the DA-MDP Bellman target at (s, a^k, k, a^{k-1}). */
  private augmentedCriticStep(
    batch: Record<string, Float32Array>,
    obs: tf.Tensor2D,
    alpha: number,
    metrics: Metrics,
  ): DiffSacScope {
    const { policy, critics } = this;
    const options = { alpha, gamma: this.gammaAug };
    const q = augmentedCriticBatch(policy, critics, batch, obs, this.rng, options);
    metrics.q_loss = critics.fit(q.input, q.target);
    const B = obs.shape[0];
    return {
      actorObjective: () =>
        this.augmentedActorLoss(
          obs,
          q.a,
          q.k,
          normalTensor(this.rng, [B, this.env.actDim]) as tf.Tensor2D,
          alpha,
        ),
      dispose: () => tf.dispose([obs, q.k, q.a, q.prev, q.target, q.input]),
    };
  }

  /** Q(s, squash(a^0)) toward `r + gamma (min Q'(s', a'^0) - alpha sum_k l'_k)`. */
  private chainCriticStep(
    batch: Record<string, Float32Array>,
    obs: tf.Tensor2D,
    alpha: number,
    metrics: Metrics,
  ): DiffSacScope {
    const { policy, critics, K, params } = this;
    const { actDim } = this.env;
    const B = obs.shape[0];
    const y = tf.tidy(() => {
      const a0 = latentAt(batch.chain, new Int32Array(B).fill(K), K, actDim);
      return tf.clipByValue(tf.tanh(a0), -0.999, 0.999) as tf.Tensor2D;
    });
    const nextNoise = normalTensor(this.rng, [B, K + 1, actDim]) as tf.Tensor3D;
    const target = tf.tidy(() => {
      const nextObs = policy.obsTensor(batch.nextObs);
      const chain = policy.sampleChain(nextObs, nextNoise);
      const yNext = tf.clipByValue(tf.tanh(chain.latents[K]), -0.999, 0.999);
      const minQ = critics.minOf(nextObs, yNext, { target: true });
      const soft = tf.sub(minQ, tf.mul(alpha, this.chainLogRatio(chain.logRatioSum, yNext)));
      const notDone = tf.sub(1, tf.tensor1d(batch.terminated));
      return tf.add(
        tf.tensor1d(batch.reward),
        tf.mul(params.gamma, tf.mul(notDone, soft)),
      ) as tf.Tensor1D;
    });
    metrics.q_loss = critics.fitOf(obs, y, target);
    const M = params.actorLoss === "log-variance" ? params.lvSamples : 1;
    return {
      actorObjective: () => {
        const noise = normalTensor(this.rng, [B * M, K + 1, actDim]) as tf.Tensor3D;
        return M === 1
          ? this.chainActorLoss(obs, noise, alpha)
          : this.logVarianceActorLoss(obs, noise, alpha);
      },
      dispose: () => tf.dispose([obs, y, nextNoise, target]),
    };
  }

  /** Actor steps on the surrogate, each followed by a temperature step (when learned). */
  protected actorPhase(scope: DiffSacScope): ActorPhase {
    return {
      step: (metrics) => {
        const { loss, kept } = minimizeKeeping(this.actorOptimizer, scope.actorObjective);
        metrics.actor_loss = loss;
        metrics.entropy = -meanOf(kept.pathLogRatio);
        if (this.params.autotune) metrics.alpha_loss = this.temperature.update(kept.pathLogRatio);
        kept.pathLogRatio.dispose();
      },
    };
  }
}

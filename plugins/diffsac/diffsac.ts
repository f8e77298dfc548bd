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
 */
import {
  type Algorithm,
  type AlgorithmContext,
  ConfigError,
  type IterationResult,
  type Rng,
  type ValuesOf,
  type VecEnv,
} from "../../core/mod.ts";
import { normalTensor, tanhLogDet, tf } from "../../core/tensor/mod.ts";
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
  latentAt,
} from "../diffusion_policy/mod.ts";
import { SAC_SCHEMA, SoftActorCriticParts, type SoftActorCriticState } from "../sac/mod.ts";

/** DiffSAC hyper-parameters: SAC's, plus the surrogate and the augmented discount. */
export const DIFFSAC_SCHEMA = {
  ...SAC_SCHEMA,
  surrogate: { type: "string", values: ["augmented", "chain"], default: "chain" },
  squashEntropy: {
    type: "boolean",
    default: false,
    doc: "chain surrogate: entropy of the env action tanh(a^0), not of the latent a^0 " +
      "(adds SAC's tanh correction to the path estimate)",
  },
  ...AUGMENTED_CRITIC_SCHEMA,
  augmentedGamma: {
    ...AUGMENTED_CRITIC_SCHEMA.augmentedGamma,
    doc: "per-augmented-step discount (augmented surrogate); 0 means gamma^(1/K)",
  },
} as const;

/** Validated DiffSAC parameters. */
export type DiffSacParams = ValuesOf<typeof DIFFSAC_SCHEMA>;

interface DiffSacState extends SoftActorCriticState {
  daMdp: ReturnType<DiffusionAugmentedEnv["state"]>;
}

/** DiffSAC over a {@link DiffusionPolicy}. */
export class DiffSac implements Algorithm {
  readonly policy: DiffusionPolicy;
  readonly params: DiffSacParams;
  envSteps = 0;
  private updates = 0;
  private readonly env: VecEnv;
  private readonly daMdp: DiffusionAugmentedEnv;
  private readonly rng: Rng;
  /** Twin critics, temperature, actor optimiser and replay buffer (of chains). */
  private readonly parts: SoftActorCriticParts;
  /** K. */
  private readonly K: number;
  private readonly gammaAug: number;

  /** Builds the DA-MDP over the env, the critics, the temperature and the replay buffer. */
  constructor(context: AlgorithmContext<DiffSacParams>) {
    const { env, params, rng } = context;
    if (params.squashEntropy && params.surrogate !== "chain") {
      throw new ConfigError(
        "algoParams.squashEntropy: only the 'chain' surrogate supports it (surrogate is " +
          `'${params.surrogate}')`,
      );
    }
    this.policy = context.policy as DiffusionPolicy;
    this.params = params;
    this.env = env;
    this.rng = rng;
    this.K = this.policy.steps;
    this.daMdp = DiffusionAugmentedEnv.forPolicy(env, this.policy, rng);
    this.gammaAug = augmentedDiscount(params.gamma, params.augmentedGamma, this.K);
    // augmented critic input: s, a^k, one-hot(k), a^{k-1}; chain critic: s, squash(a^0)
    const criticInputs = params.surrogate === "augmented"
      ? augmentedCriticInputs(env, this.K)
      : env.obsDim + env.actDim;
    this.parts = new SoftActorCriticParts(
      context,
      criticInputs,
      chainReplayLayout(env, this.K),
      params.surrogate === "augmented" ? undefined : env.obsDim,
    );
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
    const q = this.parts.critics.min(input, { weightGrads: false });
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
    const q = this.parts.critics.minOf(obs, y, { weightGrads: false });
    const logRatio = this.chainLogRatio(chain.logRatioSum, y);
    return {
      loss: tf.mean(tf.sub(tf.mul(alpha, logRatio), q)) as tf.Scalar,
      pathLogRatio: logRatio,
    };
  }

  /**
   * The chain's `sum_k l_k`, minus `sum_d log(1 - y_d^2 + 1e-6)` for the squashed action `y`
   * when `squashEntropy` is on (its negative then estimates the entropy of `y`, not of a^0).
   */
  chainLogRatio(logRatioSum: tf.Tensor1D, y: tf.Tensor2D): tf.Tensor1D {
    if (!this.params.squashEntropy) return logRatioSum;
    return tf.sub(logRatioSum, tanhLogDet(y)) as tf.Tensor1D;
  }

  private update(): Record<string, number> {
    const { params, policy, K } = this;
    const { critics, temperature, actorOptimizer, replay } = this.parts;
    const B = params.batchSize;
    const { actDim } = this.env;
    const batch = replay.sample(B, this.rng);
    const alpha = temperature.value;
    this.updates++;
    const metrics: Record<string, number> = { alpha };
    const obs = policy.obsTensor(batch.obs);
    let actorInputs: () => { loss: tf.Scalar; pathLogRatio: tf.Tensor1D };
    const keep: tf.Tensor[] = [obs];
    if (params.surrogate === "augmented") {
      // k uniform in 1..K per sample, the DA-MDP Bellman target at (s, a^k, k, a^{k-1})
      const options = { alpha, gamma: this.gammaAug };
      const q = augmentedCriticBatch(policy, critics, batch, obs, this.rng, options);
      metrics.q_loss = critics.fit(q.input, q.target);
      keep.push(q.k, q.a, q.prev, q.target, q.input);
      actorInputs = () =>
        this.augmentedActorLoss(
          obs,
          q.a,
          q.k,
          normalTensor(this.rng, [B, actDim]) as tf.Tensor2D,
          alpha,
        );
    } else {
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
      keep.push(y, nextNoise, target);
      actorInputs = () =>
        this.chainActorLoss(obs, normalTensor(this.rng, [B, K + 1, actDim]) as tf.Tensor3D, alpha);
    }
    if (this.updates % params.policyFrequency === 0) {
      for (let i = 0; i < params.policyFrequency; i++) {
        let path: tf.Tensor1D | null = null;
        metrics.actor_loss = actorOptimizer.minimize(() => {
          const out = actorInputs();
          path = tf.keep(out.pathLogRatio);
          return out.loss;
        });
        const lp = path as unknown as tf.Tensor1D;
        metrics.entropy = -tf.tidy(() => tf.mean(lp).dataSync()[0]);
        if (params.autotune) metrics.alpha_loss = temperature.update(lp);
        lp.dispose();
      }
    }
    if (this.updates % params.targetNetworkFrequency === 0) critics.updateTargets(params.tau);
    tf.dispose(keep);
    return metrics;
  }

  /** Critics, optimisers, temperature, DA-MDP, replay buffer, generator and counters. */
  state(): DiffSacState {
    const counters = { envSteps: this.envSteps, updates: this.updates };
    return { ...this.parts.state(counters), daMdp: this.daMdp.state() };
  }

  /** Restores {@link DiffSac.state}'s output. */
  load(raw: unknown): void {
    const state = raw as DiffSacState;
    this.parts.load(state);
    this.daMdp.load(state.daMdp);
    this.envSteps = state.envSteps;
    this.updates = state.updates;
  }

  /** Frees tensors (not the policy's). */
  dispose(): void {
    this.parts.dispose();
  }
}

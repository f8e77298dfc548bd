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
 * entropy, `-sum_k l_k` (`-K l_k` for one sampled k).
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

/** DiffSAC hyper-parameters: SAC's, plus the surrogate and the augmented discount. */
export const DIFFSAC_SCHEMA = {
  ...SAC_SCHEMA,
  surrogate: { type: "string", values: ["augmented", "chain"], default: "chain" },
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
    doc: "per-augmented-step discount (augmented surrogate); 0 means gamma^(1/K)",
  },
} as const;

/** Validated DiffSAC parameters. */
export type DiffSacParams = ValuesOf<typeof DIFFSAC_SCHEMA>;

interface DiffSacState {
  envSteps: number;
  updates: number;
  rng: RngState;
  daMdp: ReturnType<DiffusionAugmentedEnv["state"]>;
  critics: ReturnType<TwinQ["state"]>;
  temperature: ReturnType<Temperature["state"]>;
  actorOptimizer: ReturnType<Adam["state"]>;
  replay: ReturnType<ReplayBuffer["state"]>;
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
  private readonly critics: TwinQ;
  private readonly temperature: Temperature;
  private readonly actorOptimizer: Adam;
  private readonly replay: ReplayBuffer;
  /** K. */
  private readonly K: number;
  private readonly gammaAug: number;

  /** Builds the DA-MDP over the env, the critics, the temperature and the replay buffer. */
  constructor(context: AlgorithmContext<DiffSacParams>) {
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
    // augmented critic input: s, a^k, one-hot(k), a^{k-1}; chain critic: s, squash(a^0)
    const criticInputs = params.surrogate === "augmented"
      ? obsDim + 2 * actDim + this.K
      : obsDim + actDim;
    this.critics = new TwinQ(criticInputs, rng, {
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
    this.actorOptimizer = new Adam(this.policy.trainableVariables(), { lr: params.policyLr });
    this.replay = new ReplayBuffer(Math.min(params.bufferSize, context.totalSteps), {
      obs: obsDim,
      chain: (this.K + 1) * actDim,
      reward: 1,
      nextObs: obsDim,
      terminated: 1,
    });
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

  /** Rows of the stored chains: slot j holds a^{K-j}. Returns `[batch, actDim]` per slot list. */
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

  /** Critic input of the augmented surrogate: [s, a^k, one-hot(k), a^{k-1}]. */
  private augmentedInput(
    obs: tf.Tensor2D,
    a: tf.Tensor2D,
    k: tf.Tensor1D,
    prev: tf.Tensor2D,
  ): tf.Tensor2D {
    return tf.concat([obs, a, this.policy.stepOneHot(k), prev], 1) as tf.Tensor2D;
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
    const q = this.critics.min(this.augmentedInput(obs, a, k, step.next), { weightGrads: false });
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
    const q = this.critics.min(tf.concat([obs, y], 1) as tf.Tensor2D, { weightGrads: false });
    return {
      loss: tf.mean(tf.sub(tf.mul(alpha, chain.logRatioSum), q)) as tf.Scalar,
      pathLogRatio: chain.logRatioSum,
    };
  }

  private update(): Record<string, number> {
    const { params, policy, critics, K } = this;
    const B = params.batchSize;
    const { actDim } = this.env;
    const batch = this.replay.sample(B, this.rng);
    const alpha = this.temperature.value;
    this.updates++;
    const metrics: Record<string, number> = { alpha };
    const obs = policy.obsTensor(batch.obs);
    let actorInputs: () => { loss: tf.Scalar; pathLogRatio: tf.Tensor1D };
    const keep: tf.Tensor[] = [obs];
    if (params.surrogate === "augmented") {
      // per sample: k uniform in 1..K; a^k in slot K-k, a^{k-1} in slot K-k+1
      const kValues = new Int32Array(B);
      for (let b = 0; b < B; b++) kValues[b] = 1 + this.rng.int(K);
      const slotK = kValues.map((k) => K - k);
      const slotPrev = kValues.map((k) => K - k + 1);
      const k = tf.tensor1d(kValues, "int32");
      const a = this.latentAt(batch.chain, slotK, B);
      const prev = this.latentAt(batch.chain, slotPrev, B);
      const priorNoise = this.rng.fillNormal(new Float32Array(B * actDim));
      const targetNoise = this.noise([B, actDim]) as tf.Tensor2D;
      const target = tf.tidy(() => {
        // k > 1: continue inside the chain at (s, a^{k-1}, k-1); k = 1: the next env state
        // (s', a'^K ~ p0, K). Both cases are evaluated row by row with a mask.
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
        const minQ = critics.min(this.augmentedInput(sObs, sA, sK, b.next), { target: true });
        const soft = tf.sub(minQ, tf.mul(alpha, b.logRatio));
        const envMask = tf.cast(isEnvStep, "float32");
        const reward = tf.mul(tf.tensor1d(batch.reward), envMask);
        const notDone = tf.sub(1, tf.mul(tf.tensor1d(batch.terminated), envMask));
        return tf.add(reward, tf.mul(this.gammaAug, tf.mul(notDone, soft))) as tf.Tensor1D;
      });
      const input = tf.tidy(() => this.augmentedInput(obs, a, k, prev));
      metrics.q_loss = critics.fit(input, target);
      keep.push(k, a, prev, targetNoise, target, input);
      actorInputs = () =>
        this.augmentedActorLoss(obs, a, k, this.noise([B, actDim]) as tf.Tensor2D, alpha);
    } else {
      const y = tf.tidy(() => {
        const a0 = this.latentAt(batch.chain, new Int32Array(B).fill(K), B);
        return tf.clipByValue(tf.tanh(a0), -0.999, 0.999) as tf.Tensor2D;
      });
      const nextNoise = this.noise([B, K + 1, actDim]) as tf.Tensor3D;
      const target = tf.tidy(() => {
        const nextObs = policy.obsTensor(batch.nextObs);
        const chain = policy.sampleChain(nextObs, nextNoise);
        const yNext = tf.clipByValue(tf.tanh(chain.latents[K]), -0.999, 0.999);
        const minQ = critics.min(tf.concat([nextObs, yNext], 1) as tf.Tensor2D, { target: true });
        const soft = tf.sub(minQ, tf.mul(alpha, chain.logRatioSum));
        const notDone = tf.sub(1, tf.tensor1d(batch.terminated));
        return tf.add(
          tf.tensor1d(batch.reward),
          tf.mul(params.gamma, tf.mul(notDone, soft)),
        ) as tf.Tensor1D;
      });
      const input = tf.concat([obs, y], 1) as tf.Tensor2D;
      metrics.q_loss = critics.fit(input, target);
      keep.push(y, nextNoise, target, input);
      actorInputs = () =>
        this.chainActorLoss(obs, this.noise([B, K + 1, actDim]) as tf.Tensor3D, alpha);
    }
    if (this.updates % params.policyFrequency === 0) {
      for (let i = 0; i < params.policyFrequency; i++) {
        let path: tf.Tensor1D | null = null;
        metrics.actor_loss = this.actorOptimizer.minimize(() => {
          const out = actorInputs();
          path = tf.keep(out.pathLogRatio);
          return out.loss;
        });
        const lp = path as unknown as tf.Tensor1D;
        metrics.entropy = -tf.tidy(() => tf.mean(lp).dataSync()[0]);
        if (params.autotune) metrics.alpha_loss = this.temperature.update(lp);
        lp.dispose();
      }
    }
    if (this.updates % params.targetNetworkFrequency === 0) critics.updateTargets(params.tau);
    tf.dispose(keep);
    return metrics;
  }

  /** Critics, optimisers, temperature, DA-MDP, replay buffer, generator and counters. */
  state(): DiffSacState {
    return {
      envSteps: this.envSteps,
      updates: this.updates,
      rng: this.rng.state(),
      daMdp: this.daMdp.state(),
      critics: this.critics.state(),
      temperature: this.temperature.state(),
      actorOptimizer: this.actorOptimizer.state(),
      replay: this.replay.state(),
    };
  }

  /** Restores {@link DiffSac.state}'s output. */
  load(raw: unknown): void {
    const state = raw as DiffSacState;
    this.critics.load(state.critics);
    this.temperature.load(state.temperature);
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
    this.actorOptimizer.dispose();
  }
}

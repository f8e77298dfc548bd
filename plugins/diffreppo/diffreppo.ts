/**
 * DiffREPPO ("DA-MDP: REPPO" of "A Diffusion Model Framework for Maximum Entropy RL"): REPPO
 * on one sampled denoising step of the diffusion-augmented MDP, after the paper's code
 * (`src/jaxrl/DA_MDP_REPPO.py`, `src/jaxrl/reppo_helpers/learning_DA_MDP_REPPO.py`,
 * `config/DA_MDP_REPPO.yaml`) and REPPO's (`../reppo/reppo.ts`).
 *
 * Every env step is K augmented steps `s~ = (s, a^k, k) -> a^{k-1}`; each is one REPPO sample.
 * The critic is Q(s~, a^{k-1}) on `[s, a^k, one-hot(k), a^{k-1}]` (HL-Gauss, LayerNorm, aux
 * heads). Rollout: at the next augmented state s~' (inside the chain, or the next env state
 * with a fresh prior draw after k = 1), b' ~ q(. | s~') gives `Q_t = Q(s~', b')`, the critic's
 * features there and the soft reward `r [k = 1] - gamma (1 - terminated) T l(b')`; targets are
 * REPPO's soft TD(lambda) returns over augmented steps (gamma and lambda per augmented step).
 *
 * Actor, per sample, with b one reparameterised denoising step from the stored (s, a^k, k):
 *   L = T l_theta(b) - Q(s~, b)          while K KL(q_old || q_theta)(s~) <= klBound
 *   L = lambda K KL(q_old || q_theta)(s~) otherwise
 * with the closed-form KL of the two Gaussian kernels (the code estimates it from
 * `kl_action_rep` draws). The temperature is learned toward the path entropy estimate
 * `-K l >= -entTargetMult |A|`, lambda toward `mean K KL = klBound`.
 *
 * Auxiliary losses (reward and next features) are masked to the final diffusion step (k = 1)
 * of non-terminal env steps; the code's small extra term on the next augmented state's
 * features (weight 1 - aux alpha = 0.02) is left out.
 */
import type {
  Algorithm,
  AlgorithmContext,
  IterationResult,
  Metrics,
  Rng,
  ValuesOf,
  VecEnv,
} from "../../core/mod.ts";
import { tf } from "../../core/tensor/mod.ts";
import {
  augmentedCriticInput,
  augmentedCriticInputs,
  DiffusionAugmentedEnv,
  type DiffusionPolicy,
  gatherRows,
  kernelKl,
  REPPO_SCHEMA,
  ReppoParts,
  type ReppoPartsState,
  shuffledIndices,
  softLambdaReturns,
  trustRegionLoss,
} from "../learners/mod.ts";

/**
 * DiffREPPO hyper-parameters: REPPO's, with the DA-MDP code's defaults (per augmented step
 * discount and lambda, rates, KL bound, temperature and multiplier starts, entropy target and
 * aux weight) and `numSteps` counted in env steps per env per rollout.
 */
export const DIFFREPPO_SCHEMA = {
  ...REPPO_SCHEMA,
  numSteps: { ...REPPO_SCHEMA.numSteps, default: 16, doc: "env steps per env per rollout" },
  numMinibatches: { ...REPPO_SCHEMA.numMinibatches, default: 8 },
  updateEpochs: { ...REPPO_SCHEMA.updateEpochs, default: 8 },
  lr: { ...REPPO_SCHEMA.lr, default: 1e-3 },
  gamma: { ...REPPO_SCHEMA.gamma, default: 0.999, doc: "discount per augmented step" },
  lambda: { ...REPPO_SCHEMA.lambda, default: 0.98, doc: "TD(lambda) per augmented step" },
  klBound: { ...REPPO_SCHEMA.klBound, default: 0.04, doc: "bound on K KL(q_old || q)" },
  klStart: { ...REPPO_SCHEMA.klStart, default: 0.3 },
  entTargetMult: { ...REPPO_SCHEMA.entTargetMult, default: 5 },
  auxLossMult: { ...REPPO_SCHEMA.auxLossMult, default: 0.1 },
} as const;

/** Validated DiffREPPO parameters. */
export type DiffReppoParams = ValuesOf<typeof DIFFREPPO_SCHEMA>;

/** DiffREPPO's diffusion policy: the code's SiLU score network, observation normalisation. */
export const DIFFREPPO_POLICY_DEFAULTS = {
  hidden: [64, 64],
  activation: "silu",
  normalizeObs: true,
};

interface DiffReppoState extends ReppoPartsState {
  daMdp: ReturnType<DiffusionAugmentedEnv["state"]>;
}

/** One minibatch of augmented steps with the behaviour kernel, as tensors. */
export interface DiffReppoMinibatch {
  obs: tf.Tensor2D;
  a: tf.Tensor2D;
  k: tf.Tensor1D;
  oldMean: tf.Tensor2D;
  oldEta: tf.Tensor2D;
}

/** DiffREPPO over a {@link DiffusionPolicy}. */
export class DiffReppo implements Algorithm {
  readonly policy: DiffusionPolicy;
  readonly params: DiffReppoParams;
  envSteps = 0;
  readonly parts: ReppoParts;
  /** K. */
  readonly K: number;
  private readonly env: VecEnv;
  private readonly daMdp: DiffusionAugmentedEnv;
  private readonly rng: Rng;

  /** Builds the DA-MDP, the augmented critic, the optimisers, temperature and multiplier. */
  constructor(context: AlgorithmContext<DiffReppoParams, DiffusionPolicy>) {
    const { env, params, rng, policy } = context;
    this.policy = policy;
    this.params = params;
    this.env = env;
    this.rng = rng;
    this.K = policy.steps;
    this.daMdp = DiffusionAugmentedEnv.forPolicy(env, policy, rng);
    this.parts = new ReppoParts(context, {
      criticInputs: augmentedCriticInputs(env, this.K),
      actorVariables: policy.trainableVariables(),
      // rewards are normalised per env step, with the env-level discount gamma^K
      returnGamma: Math.pow(params.gamma, this.K),
    });
  }

  /** Q(s~, b) for normalised observations. */
  q(obs: tf.Tensor2D, a: tf.Tensor2D, k: tf.Tensor1D, b: tf.Tensor2D): tf.Tensor1D {
    return this.parts.critic.value(augmentedCriticInput(this.policy, obs, a, k, b));
  }

  /**
   * The actor's loss on a minibatch with denoising noise `noise`, at temperature and
   * multiplier given as constants (see the module comment). Returns `l_theta(b)` and `K KL`
   * per sample for the other updates.
   */
  actorLoss(
    batch: DiffReppoMinibatch,
    noise: tf.Tensor2D,
    temperature: number,
    lambda: number,
  ): { loss: tf.Scalar; logRatio: tf.Tensor1D; kl: tf.Tensor1D; violated: tf.Tensor1D } {
    const { policy } = this;
    const kernel = policy.denoiseMean(batch.obs, batch.a, batch.k);
    const next = tf.add(kernel.mean, tf.mul(tf.sqrt(tf.mul(2, kernel.eta)), noise)) as tf.Tensor2D;
    const { logRatio } = policy.logDensities(batch.obs, batch.a, next, batch.k);
    const q = this.q(batch.obs, batch.a, batch.k, next);
    const objective = tf.sub(tf.mul(temperature, logRatio), q) as tf.Tensor1D;
    const kl = tf.mul(
      this.K,
      kernelKl({ mean: batch.oldMean, eta: batch.oldEta }, kernel),
    ) as tf.Tensor1D;
    const { loss, violated } = trustRegionLoss(objective, kl, this.params.klBound, lambda);
    return { loss, logRatio, kl, violated };
  }

  /** One rollout of `numSteps` env steps (K augmented steps each) per env, then the update. */
  iterate(): IterationResult {
    const { env, params, policy, parts, K, daMdp } = this;
    const { numEnvs: n, obsDim, actDim } = env;
    const T = params.numSteps * K;
    const total = T * n;
    const H = params.criticHidden;
    const obsBuf = new Float32Array(total * obsDim);
    const aBuf = new Float32Array(total * actDim);
    const prevBuf = new Float32Array(total * actDim);
    const kBuf = new Int32Array(total);
    const meanBuf = new Float32Array(total * actDim);
    const etaBuf = new Float32Array(total * actDim);
    const logRatioBuf = new Float32Array(total);
    const rewardBuf = new Float32Array(total);
    const softBuf = new Float32Array(total);
    const valueBuf = new Float32Array(total);
    const featureBuf = new Float32Array(total * H);
    const auxMask = new Float32Array(total);
    const terminated = new Uint8Array(total);
    const truncated = new Uint8Array(total);
    const episodes = [];
    const noise = new Float32Array(n * actDim);
    const temperature = parts.temperature.value;
    let obs: Float32Array = new Float32Array(0);
    for (let t = 0; t < T; t++) {
      if (daMdp.k === K) {
        // a new env state: update the statistics, then normalise
        policy.obsNormalizer.update(env.obs, n);
        obs = policy.obsNormalizer.apply(env.obs);
      }
      const k = daMdp.k;
      const a = daMdp.latent.slice();
      this.rng.fillNormal(noise);
      const [next, mean, eta, logRatio] = tf.tidy(() => {
        const o = tf.tensor2d(obs, [n, obsDim]);
        const at = tf.tensor2d(a, [n, actDim]);
        const kt = tf.fill([n], k, "int32") as tf.Tensor1D;
        const kernel = policy.denoiseMean(o, at, kt);
        const step = policy.denoise(o, at, kt, tf.tensor2d(noise, [n, actDim]));
        return [step.next, kernel.mean, kernel.eta, step.logRatio].map((x) =>
          x.dataSync() as Float32Array
        );
      });
      const result = daMdp.step(next);
      const reward = result.envStep
        ? result.reward.map((r) => r * params.rewardScale)
        : new Float32Array(n);
      if (result.envStep) parts.returnNormalizer?.normalize(reward, result.terminated);
      // the next augmented state: (s, a^{k-1}, k-1), or (s'_final, a'^K, K) after the env step
      const nextObs = result.envStep ? policy.obsNormalizer.apply(result.finalObs!) : obs;
      const nextK = result.envStep ? K : k - 1;
      const nextA = result.envStep ? daMdp.latent.slice() : next;
      this.rng.fillNormal(noise);
      const { value, features, nextLogRatio } = tf.tidy(() => {
        const o = tf.tensor2d(nextObs, [n, obsDim]);
        const at = tf.tensor2d(nextA, [n, actDim]);
        const kt = tf.fill([n], nextK, "int32") as tf.Tensor1D;
        const b = policy.denoise(o, at, kt, tf.tensor2d(noise, [n, actDim]));
        const e = parts.critic.evaluate(augmentedCriticInput(policy, o, at, kt, b.next));
        return { ...e, nextLogRatio: b.logRatio.dataSync() as Float32Array };
      });
      for (let i = 0; i < n; i++) {
        const j = t * n + i;
        const term = result.envStep ? result.terminated[i] : 0;
        terminated[j] = term;
        truncated[j] = result.envStep ? result.truncated[i] : 0;
        rewardBuf[j] = reward[i];
        softBuf[j] = reward[i] - (term ? 0 : params.gamma * temperature * nextLogRatio[i]);
        auxMask[j] = result.envStep && !term ? 1 : 0;
      }
      if (result.envStep) episodes.push(...result.episodes);
      obsBuf.set(obs, t * n * obsDim);
      aBuf.set(a, t * n * actDim);
      prevBuf.set(next, t * n * actDim);
      kBuf.fill(k, t * n, (t + 1) * n);
      meanBuf.set(mean, t * n * actDim);
      etaBuf.set(eta, t * n * actDim);
      logRatioBuf.set(logRatio, t * n);
      valueBuf.set(value, t * n);
      featureBuf.set(features, t * n * H);
    }
    this.envSteps += params.numSteps * n;
    const targets = softLambdaReturns(
      { softRewards: softBuf, nextValues: valueBuf, terminated, truncated },
      { numEnvs: n, gamma: params.gamma, lambda: params.lambda },
    );
    const metrics = this.update({
      obsBuf,
      aBuf,
      prevBuf,
      kBuf,
      meanBuf,
      etaBuf,
      rewardBuf,
      featureBuf,
      auxMask,
      targets,
    });
    let lSum = 0;
    for (const l of logRatioBuf) lSum += l;
    metrics.entropy = -(lSum / total) * K; // path estimate -sum_k l_k per env step
    return { metrics, episodes };
  }

  private update(data: {
    obsBuf: Float32Array;
    aBuf: Float32Array;
    prevBuf: Float32Array;
    kBuf: Int32Array;
    meanBuf: Float32Array;
    etaBuf: Float32Array;
    rewardBuf: Float32Array;
    featureBuf: Float32Array;
    auxMask: Float32Array;
    targets: Float32Array;
  }): Metrics {
    const { params, parts, env, policy } = this;
    const { obsDim, actDim } = env;
    const H = params.criticHidden;
    const total = data.targets.length;
    const size = Math.max(1, Math.floor(total / params.numMinibatches));
    const sums: Record<string, number> = {};
    let count = 0;
    const add = (key: string, v: number) => sums[key] = (sums[key] ?? 0) + v;
    for (let epoch = 0; epoch < params.updateEpochs; epoch++) {
      const order = shuffledIndices(total, this.rng);
      for (let start = 0; start + size <= total; start += size) {
        const idx = order.subarray(start, start + size);
        const B = idx.length;
        const actorNoise = this.rng.fillNormal(new Float32Array(B * actDim));
        tf.tidy(() => {
          const batch: DiffReppoMinibatch = {
            obs: tf.tensor2d(gatherRows(data.obsBuf, obsDim, idx), [B, obsDim]),
            a: tf.tensor2d(gatherRows(data.aBuf, actDim, idx), [B, actDim]),
            k: tf.tensor1d(Int32Array.from(idx, (j) => data.kBuf[j]), "int32"),
            oldMean: tf.tensor2d(gatherRows(data.meanBuf, actDim, idx), [B, actDim]),
            oldEta: tf.tensor2d(gatherRows(data.etaBuf, actDim, idx), [B, actDim]),
          };
          const prev = tf.tensor2d(gatherRows(data.prevBuf, actDim, idx), [B, actDim]);
          parts.criticStep(
            {
              input: augmentedCriticInput(policy, batch.obs, batch.a, batch.k, prev),
              target: gatherRows(data.targets, 1, idx),
              reward: tf.tensor1d(gatherRows(data.rewardBuf, 1, idx)),
              nextFeatures: tf.tensor2d(gatherRows(data.featureBuf, H, idx), [B, H]),
              auxMask: tf.tensor1d(gatherRows(data.auxMask, 1, idx)),
            },
            params.auxLossMult,
            add,
          );
          // K l_k estimates sum_k l_k when k is uniform: the path entropy's negative
          parts.actorStep(
            (temperature, lambda) => {
              const out = this.actorLoss(
                batch,
                tf.tensor2d(actorNoise, [B, actDim]),
                temperature,
                lambda,
              );
              return { ...out, logDensity: out.logRatio };
            },
            add,
            { densityScale: this.K, reportEntropy: false, klBound: params.klBound },
          );
        });
        count++;
      }
    }
    return parts.updateMetrics(sums, count, data.targets);
  }

  /** Parts, the DA-MDP, generator and counters. */
  state(): DiffReppoState {
    return { ...this.parts.state(this.envSteps), daMdp: this.daMdp.state() };
  }

  /** Restores {@link DiffReppo.state}'s output. */
  load(raw: unknown): void {
    const state = raw as DiffReppoState;
    this.parts.load(state);
    this.daMdp.load(state.daMdp);
    this.envSteps = state.envSteps;
  }

  /** Frees tensors (not the policy's). */
  dispose(): void {
    this.parts.dispose();
  }
}

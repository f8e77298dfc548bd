/**
 * DiffPPO: PPO on the diffusion-augmented MDP (DMERL). One env step is K augmented steps
 * `(s, a^k, k) -> a^{k-1}`; every augmented step is a PPO sample with
 *
 * - the soft reward `r [k = 1] - tau l_old` (env reward normalised as in PPO),
 * - a value `V(s, a^k, k)` and GAE over augmented steps (gamma and lambda per augmented step),
 * - the likelihood ratio of ONE denoising step, `exp(log q_theta(a^{k-1}|s~) - log q_old)`,
 * - the entropy-corrected advantage `A - tau (l_theta - l_old)` (held constant, normalised).
 *
 * `tau = 0` is DPPO (Ren et al. 2025): a per-step-ratio PPO over the denoising chain with no
 * entropy term; the `DPPO` preset keeps it one flag away.
 */
import type {
  Algorithm,
  AlgorithmContext,
  IterationResult,
  Rng,
  ValuesOf,
  VecEnv,
} from "../../core/mod.ts";
import { tf } from "../../core/tensor/mod.ts";
import {
  computeGae,
  DiffusionAugmentedEnv,
  type DiffusionPolicy,
  PPO_SCHEMA,
  ppoEpochOptions,
  ppoEpochs,
  PpoParts,
  type PpoPartsState,
  softReward,
} from "../learners/mod.ts";

/** DiffPPO hyper-parameters: PPO's, with per-augmented-step gamma/lambda and tau. */
export const DIFFPPO_SCHEMA = {
  ...PPO_SCHEMA,
  gamma: { ...PPO_SCHEMA.gamma, default: 0.999, doc: "discount per augmented step" },
  gaeLambda: { ...PPO_SCHEMA.gaeLambda, default: 0.98, doc: "GAE lambda per augmented step" },
  numSteps: { ...PPO_SCHEMA.numSteps, default: 2048, doc: "env steps per env per rollout" },
  tau: { type: "number", min: 0, default: 2e-4, doc: "entropy temperature; 0 is DPPO" },
} as const;

/** Validated DiffPPO parameters. */
export type DiffPpoParams = ValuesOf<typeof DIFFPPO_SCHEMA>;

/** A small diffusion policy for on-policy training (presets may override). */
export const DIFFPPO_POLICY_DEFAULTS = {
  hidden: [64, 64],
  activation: "silu",
  normalizeObs: true,
};

interface DiffPpoState extends PpoPartsState {
  daMdp: ReturnType<DiffusionAugmentedEnv["state"]>;
}

/** DiffPPO over a {@link DiffusionPolicy}. */
export class DiffPpo implements Algorithm {
  readonly policy: DiffusionPolicy;
  readonly params: DiffPpoParams;
  envSteps = 0;
  private readonly env: VecEnv;
  private readonly daMdp: DiffusionAugmentedEnv;
  private readonly rng: Rng;
  /** Critic V(s, a^k, one-hot k), optimiser (actor and critic) and reward normaliser. */
  private readonly parts: PpoParts;
  private readonly K: number;

  /** Builds the DA-MDP, the augmented-state critic and the optimiser. */
  constructor(context: AlgorithmContext<DiffPpoParams, DiffusionPolicy>) {
    const { env, params, rng } = context;
    this.policy = context.policy;
    this.params = params;
    this.env = env;
    this.rng = rng;
    this.K = this.policy.steps;
    this.daMdp = DiffusionAugmentedEnv.forPolicy(env, this.policy, rng);
    // rewards are normalised per env step, with the env-level discount gamma_aug^K
    const returnGamma = Math.pow(params.gamma, this.K);
    this.parts = new PpoParts(context, env.obsDim + env.actDim + this.K, returnGamma);
  }

  /** V(s, a^k, k) for normalised observations. */
  value(obs: tf.Tensor2D, a: tf.Tensor2D, k: tf.Tensor1D): tf.Tensor1D {
    const input = tf.concat([obs, a, this.policy.stepOneHot(k)], 1);
    // (s, a^k, k) are rollout data: no gradient with respect to them
    return tf.squeeze(this.parts.critic.apply(input, true, 0, false), [1]) as tf.Tensor1D;
  }

  private valuesOf(obs: Float32Array, a: Float32Array, k: number): Float32Array {
    const n = obs.length / this.env.obsDim;
    return tf.tidy(() =>
      this.value(
        tf.tensor2d(obs, [n, this.env.obsDim]),
        tf.tensor2d(a, [n, this.env.actDim]),
        tf.fill([n], k, "int32") as tf.Tensor1D,
      ).dataSync() as Float32Array
    );
  }

  /** One rollout of `numSteps` env steps (K augmented steps each) per env, then the update. */
  iterate(): IterationResult {
    const { env, params, policy, K, daMdp } = this;
    const { numEnvs: n, obsDim, actDim } = env;
    const T = params.numSteps * K;
    const total = T * n;
    this.parts.annealLr(this.envSteps);
    const obsBuf = new Float32Array(total * obsDim);
    const aBuf = new Float32Array(total * actDim);
    const prevBuf = new Float32Array(total * actDim);
    const kBuf = new Float32Array(total);
    const logQBuf = new Float32Array(total);
    const logRatioBuf = new Float32Array(total);
    const valueBuf = new Float32Array(total);
    const rewardBuf = new Float32Array(total);
    const doneBuf = new Uint8Array(total);
    const episodes = [];
    const noise = new Float32Array(n * actDim);
    let obs: Float32Array = new Float32Array(0);
    for (let t = 0; t < T; t++) {
      if (daMdp.k === K) {
        // a new env state: update the statistics, then normalise (as PPO does per env step)
        policy.obsNormalizer.update(env.obs, n);
        obs = policy.obsNormalizer.apply(env.obs);
      }
      const k = daMdp.k;
      const a = daMdp.latent.slice();
      this.rng.fillNormal(noise);
      const [next, logQ, logRatio, value] = tf.tidy(() => {
        const o = tf.tensor2d(obs, [n, obsDim]);
        const at = tf.tensor2d(a, [n, actDim]);
        const kt = tf.fill([n], k, "int32") as tf.Tensor1D;
        const step = policy.denoise(o, at, kt, tf.tensor2d(noise, [n, actDim]));
        return [
          step.next.dataSync() as Float32Array,
          step.logQ.dataSync() as Float32Array,
          step.logRatio.dataSync() as Float32Array,
          this.value(o, at, kt).dataSync() as Float32Array,
        ];
      });
      const result = daMdp.step(next);
      const reward = result.envStep ? result.reward.slice() : new Float32Array(n);
      if (result.envStep) {
        this.parts.returnNormalizer?.normalize(reward, result.terminated);
        for (let i = 0; i < n; i++) {
          if (result.truncated[i] && !result.terminated[i]) {
            // bootstrap a time-limit cut from V(s'_final, a'^K, K) of the next chain
            const final = policy.obsNormalizer.apply(
              result.finalObs!.subarray(i * obsDim, (i + 1) * obsDim),
            );
            const prior = daMdp.latent.subarray(i * actDim, (i + 1) * actDim);
            reward[i] += params.gamma * this.valuesOf(final, prior, K)[0];
          }
          doneBuf[t * n + i] = result.terminated[i] || result.truncated[i];
        }
        episodes.push(...result.episodes);
      }
      softReward(reward, result.envStep, logRatio, params.tau, reward);
      obsBuf.set(obs, t * n * obsDim);
      aBuf.set(a, t * n * actDim);
      prevBuf.set(next, t * n * actDim);
      kBuf.fill(k, t * n, (t + 1) * n);
      logQBuf.set(logQ, t * n);
      logRatioBuf.set(logRatio, t * n);
      valueBuf.set(value, t * n);
      rewardBuf.set(reward, t * n);
    }
    this.envSteps += params.numSteps * n;
    // the augmented state after the rollout is at an env state (k = K)
    const nextObs = policy.obsNormalizer.apply(env.obs);
    const nextValues = this.valuesOf(nextObs, daMdp.latent, daMdp.k);
    const { advantages, returns } = computeGae(
      { rewards: rewardBuf, values: valueBuf, dones: doneBuf, nextValues },
      { numEnvs: n, gamma: params.gamma, lambda: params.gaeLambda },
    );
    const metrics = this.update({
      obs: { data: obsBuf, width: obsDim },
      a: { data: aBuf, width: actDim },
      prev: { data: prevBuf, width: actDim },
      k: { data: kBuf, width: 1, scalar: true },
      logQ: { data: logQBuf, width: 1, scalar: true },
      logRatio: { data: logRatioBuf, width: 1, scalar: true },
      values: { data: valueBuf, width: 1, scalar: true },
      advantages: { data: advantages, width: 1, scalar: true },
      returns: { data: returns, width: 1, scalar: true },
    });
    let lSum = 0;
    for (const l of logRatioBuf) lSum += l;
    metrics.entropy = -(lSum / total) * K; // path estimate -sum_k l_k per env step
    metrics.lr = this.parts.optimizer.lr;
    return { metrics, episodes };
  }

  private update(fields: Parameters<typeof ppoEpochs>[0]): Record<string, number> {
    const { params, policy } = this;
    const densities = (batch: Record<string, tf.Tensor>) =>
      policy.logDensities(
        batch.obs as tf.Tensor2D,
        batch.a as tf.Tensor2D,
        batch.prev as tf.Tensor2D,
        tf.cast(batch.k, "int32") as tf.Tensor1D,
      );
    return ppoEpochs(fields, ppoEpochOptions(params), {
      optimizer: this.parts.optimizer,
      rng: this.rng,
      // A - tau (l_theta - l_old), computed outside the gradient: a constant of the step
      correctAdvantages: params.tau > 0
        ? (batch, adv) =>
          tf.sub(
            adv,
            tf.mul(params.tau, tf.sub(densities(batch).logRatio, batch.logRatio)),
          ) as tf.Tensor1D
        : undefined,
      terms: (batch) => {
        const { logQ } = densities(batch);
        return {
          logRatio: tf.sub(logQ, batch.logQ) as tf.Tensor1D,
          value: this.value(
            batch.obs as tf.Tensor2D,
            batch.a as tf.Tensor2D,
            tf.cast(batch.k, "int32") as tf.Tensor1D,
          ),
        };
      },
    });
  }

  /** Critic, optimiser, reward normaliser, DA-MDP, generator and counters. */
  state(): DiffPpoState {
    return { ...this.parts.state(this.envSteps), daMdp: this.daMdp.state() };
  }

  /** Restores {@link DiffPpo.state}'s output. */
  load(raw: unknown): void {
    const state = raw as DiffPpoState;
    this.parts.load(state);
    this.daMdp.load(state.daMdp);
    this.envSteps = state.envSteps;
  }

  /** Frees tensors (not the policy's). */
  dispose(): void {
    this.parts.dispose();
  }
}

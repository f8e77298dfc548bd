/**
 * Proximal Policy Optimization, after CleanRL's ppo_continuous_action.py: GAE, clipped
 * surrogate, clipped value loss, one Adam over actor and critic with gradient-norm clipping,
 * learning-rate annealing, observation normalisation (inside the policy) and reward
 * normalisation by the running std of the discounted return. Unlike CleanRL, time-limit
 * truncations bootstrap with `gamma * V(final obs)` (as Stable-Baselines3 does).
 *
 * The policy is the tanh-squashed Gaussian; ratios are taken on the pre-squash latent u,
 * where the tanh Jacobian cancels.
 */
import {
  type Algorithm,
  type AlgorithmContext,
  type IterationResult,
  type Rng,
  squashToBox,
  type VecEnv,
} from "../../core/mod.ts";
import { tf } from "../../core/tensor/mod.ts";
import {
  computeGae,
  fusedGaussianPpoAvailable,
  fusedGaussianPpoLoss,
  GaussianPolicy,
  gaussianPpoTerms,
  ppoEpochOptions,
  ppoEpochs,
  type PpoParams,
  PpoParts,
  type PpoPartsState,
} from "../learners/mod.ts";

/** CleanRL's agent: 64x64 tanh, orthogonal init, state-independent log std. */
export const PPO_POLICY_DEFAULTS = {
  hidden: [64, 64],
  activation: "tanh",
  logStd: "param",
  logStdInit: 0,
  init: "orthogonal",
  normalizeObs: true,
};

/** PPO over a {@link GaussianPolicy}. */
export class Ppo implements Algorithm {
  readonly policy: GaussianPolicy;
  readonly params: PpoParams;
  envSteps = 0;
  private readonly env: VecEnv;
  private readonly rng: Rng;
  /** Critic, optimiser (actor and critic) and reward normaliser. */
  private readonly parts: PpoParts;

  /** Builds the critic and the optimiser. */
  constructor(context: AlgorithmContext<PpoParams, GaussianPolicy>) {
    const { env, params, rng } = context;
    this.policy = context.policy;
    this.params = params;
    this.env = env;
    this.rng = rng;
    this.parts = new PpoParts(context, env.obsDim, params.gamma);
  }

  private value(obs: tf.Tensor2D): tf.Tensor1D {
    // the observations are data: no gradient with respect to them
    return tf.squeeze(this.parts.critic.apply(obs, true, 0, false), [1]) as tf.Tensor1D;
  }

  private valuesOf(normalizedObs: Float32Array): Float32Array {
    return tf.tidy(() =>
      this.value(
        tf.tensor2d(normalizedObs, [normalizedObs.length / this.env.obsDim, this.env.obsDim]),
      )
        .dataSync() as Float32Array
    );
  }

  /** One rollout of `numSteps` per env, then `updateEpochs` epochs of minibatch updates. */
  iterate(): IterationResult {
    const { env, params, policy } = this;
    const { numEnvs: n, obsDim, actDim } = env;
    const T = params.numSteps;
    const total = T * n;
    this.parts.annealLr(this.envSteps);
    const obsBuf = new Float32Array(total * obsDim);
    const uBuf = new Float32Array(total * actDim);
    const logProbBuf = new Float32Array(total);
    const valueBuf = new Float32Array(total);
    const rewardBuf = new Float32Array(total);
    const doneBuf = new Uint8Array(total);
    const episodes = [];
    const noise = new Float32Array(n * actDim);
    for (let t = 0; t < T; t++) {
      const raw = env.obs;
      policy.obsNormalizer.update(raw, n);
      const obs = policy.obsNormalizer.apply(raw);
      this.rng.fillNormal(noise);
      const [u, logProb, value] = tf.tidy(() => {
        const o = tf.tensor2d(obs, [n, obsDim]);
        const { mean, logStd } = policy.distribution(o);
        const sample = tf.add(mean, tf.mul(tf.exp(logStd), tf.tensor2d(noise, [n, actDim])));
        return [
          sample.dataSync() as Float32Array,
          GaussianPolicy.gaussianLogProb(sample, mean, logStd).dataSync() as Float32Array,
          this.value(o).dataSync() as Float32Array,
        ];
      });
      const step = env.step(squashToBox(u, env.actionSpace));
      const reward = step.reward.slice();
      this.parts.returnNormalizer?.normalize(reward, step.terminated);
      for (let i = 0; i < n; i++) {
        if (step.truncated[i] && !step.terminated[i]) {
          const finalObs = policy.obsNormalizer.apply(
            step.finalObs.subarray(i * obsDim, (i + 1) * obsDim),
          );
          reward[i] += params.gamma * this.valuesOf(finalObs)[0];
        }
        doneBuf[t * n + i] = step.terminated[i] || step.truncated[i];
      }
      obsBuf.set(obs, t * n * obsDim);
      uBuf.set(u, t * n * actDim);
      logProbBuf.set(logProb, t * n);
      valueBuf.set(value, t * n);
      rewardBuf.set(reward, t * n);
      episodes.push(...step.episodes);
    }
    this.envSteps += total;
    const nextValues = this.valuesOf(policy.obsNormalizer.apply(env.obs));
    const { advantages, returns } = computeGae(
      { rewards: rewardBuf, values: valueBuf, dones: doneBuf, nextValues },
      { numEnvs: n, gamma: params.gamma, lambda: params.gaeLambda },
    );
    const metrics = this.update({ obsBuf, uBuf, logProbBuf, valueBuf, advantages, returns });
    metrics.lr = this.parts.optimizer.lr;
    return { metrics, episodes };
  }

  private update(data: {
    obsBuf: Float32Array;
    uBuf: Float32Array;
    logProbBuf: Float32Array;
    valueBuf: Float32Array;
    advantages: Float32Array;
    returns: Float32Array;
  }): Record<string, number> {
    const { params, policy, env } = this;
    const logStd = policy.logStdParam;
    return ppoEpochs(
      {
        obs: { data: data.obsBuf, width: env.obsDim },
        u: { data: data.uBuf, width: env.actDim },
        logProb: { data: data.logProbBuf, width: 1, scalar: true },
        values: { data: data.valueBuf, width: 1, scalar: true },
        advantages: { data: data.advantages, width: 1, scalar: true },
        returns: { data: data.returns, width: 1, scalar: true },
      },
      ppoEpochOptions(params),
      {
        optimizer: this.parts.optimizer,
        rng: this.rng,
        terms: (batch) => {
          const obs = batch.obs as tf.Tensor2D;
          const dist = policy.distribution(obs);
          const terms = gaussianPpoTerms(dist, batch.u, batch.logProb, params.entCoef);
          return { ...terms, value: this.value(obs) };
        },
        // on wasm, the loss from the networks' outputs as one op (the same bits)
        fusedLoss: logStd && fusedGaussianPpoAvailable()
          ? (batch, advantages) => {
            const obs = batch.obs as tf.Tensor2D;
            const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
            return fusedGaussianPpoLoss(
              policy.net.apply(obs, true, 0, false),
              logStd,
              this.parts.critic.apply(obs, true, 0, false),
              {
                u: read(batch.u),
                oldLogProb: read(batch.logProb),
                advantages,
                oldValues: read(batch.values),
                returns: read(batch.returns),
              },
              { ...ppoEpochOptions(params), entCoef: params.entCoef },
            );
          }
          : undefined,
      },
    );
  }

  /** Critic, optimiser, reward normaliser, generator and counters. */
  state(): PpoPartsState {
    return this.parts.state(this.envSteps);
  }

  /** Restores {@link Ppo.state}'s output. */
  load(raw: unknown): void {
    const state = raw as PpoPartsState;
    this.parts.load(state);
    this.envSteps = state.envSteps;
  }

  /** Frees tensors (not the policy's). */
  dispose(): void {
    this.parts.dispose();
  }
}

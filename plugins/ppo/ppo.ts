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
  ACTIVATIONS,
  Adam,
  type Algorithm,
  type AlgorithmContext,
  computeGae,
  exportVariables,
  importVariables,
  type IterationResult,
  Mlp,
  ReturnNormalizer,
  type Rng,
  type RngState,
  squashToBox,
  tf,
  type ValuesOf,
  type VecEnv,
} from "../../core/mod.ts";
import { GaussianPolicy } from "../gaussian_policy/mod.ts";

/** PPO hyper-parameters (CleanRL defaults). */
export const PPO_SCHEMA = {
  lr: { type: "number", min: 0, exclusiveMin: true, default: 3e-4 },
  annealLr: { type: "boolean", default: true },
  numSteps: { type: "number", integer: true, min: 1, default: 2048, doc: "steps per env" },
  gamma: { type: "number", min: 0, max: 1, default: 0.99 },
  gaeLambda: { type: "number", min: 0, max: 1, default: 0.95 },
  numMinibatches: { type: "number", integer: true, min: 1, default: 32 },
  updateEpochs: { type: "number", integer: true, min: 1, default: 10 },
  normAdv: { type: "boolean", default: true },
  clipCoef: { type: "number", min: 0, exclusiveMin: true, default: 0.2 },
  clipVloss: { type: "boolean", default: true },
  entCoef: { type: "number", min: 0, default: 0 },
  vfCoef: { type: "number", min: 0, default: 0.5 },
  maxGradNorm: { type: "number", min: 0, exclusiveMin: true, default: 0.5 },
  targetKl: { type: "number", min: 0, default: 0, doc: "early-stop KL; 0 disables" },
  normalizeReward: { type: "boolean", default: true },
  criticHidden: { type: "number[]", integer: true, min: 1, default: [64, 64], minLength: 1 },
  criticActivation: { type: "string", values: ACTIVATIONS, default: "tanh" },
} as const;

/** Validated PPO parameters. */
export type PpoParams = ValuesOf<typeof PPO_SCHEMA>;

/** CleanRL's agent: 64x64 tanh, orthogonal init, state-independent log std. */
export const PPO_POLICY_DEFAULTS = {
  hidden: [64, 64],
  activation: "tanh",
  logStd: "param",
  logStdInit: 0,
  init: "orthogonal",
  normalizeObs: true,
};

interface PpoState {
  envSteps: number;
  rng: RngState;
  critic: ReturnType<typeof exportVariables>;
  optimizer: ReturnType<Adam["state"]>;
  returnNormalizer: ReturnType<ReturnNormalizer["state"]> | null;
}

/** PPO over a {@link GaussianPolicy}. */
export class Ppo implements Algorithm {
  readonly policy: GaussianPolicy;
  readonly params: PpoParams;
  envSteps = 0;
  private readonly env: VecEnv;
  private readonly rng: Rng;
  private readonly totalSteps: number;
  private readonly critic: Mlp;
  private readonly optimizer: Adam;
  /** Reward scaling by the running std of the discounted return (null when disabled). */
  private readonly returnNormalizer: ReturnNormalizer | null;

  /** Builds the critic and the optimiser. */
  constructor(context: AlgorithmContext<PpoParams>) {
    const { env, params, rng } = context;
    this.policy = context.policy as GaussianPolicy;
    this.params = params;
    this.env = env;
    this.rng = rng;
    this.totalSteps = context.totalSteps;
    this.critic = new Mlp(env.obsDim, 1, rng, {
      hidden: params.criticHidden,
      activation: params.criticActivation,
      hiddenInit: { kind: "orthogonal", gain: Math.SQRT2 },
      outputInit: { kind: "orthogonal", gain: 1 },
    });
    this.optimizer = new Adam([...this.policy.trainableVariables(), ...this.critic.variables()], {
      lr: params.lr,
      eps: 1e-5,
      maxGradNorm: params.maxGradNorm,
    });
    this.returnNormalizer = params.normalizeReward
      ? new ReturnNormalizer(env.numEnvs, params.gamma)
      : null;
  }

  private value(obs: tf.Tensor2D): tf.Tensor1D {
    return tf.squeeze(this.critic.apply(obs), [1]) as tf.Tensor1D;
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
    if (params.annealLr) {
      this.optimizer.lr = params.lr * Math.max(0, 1 - this.envSteps / this.totalSteps);
    }
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
      this.returnNormalizer?.normalize(reward, step.terminated);
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
    metrics.lr = this.optimizer.lr;
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
    const { obsDim, actDim } = env;
    const total = data.returns.length;
    const mbSize = Math.max(1, Math.floor(total / params.numMinibatches));
    const index = new Int32Array(total).map((_, i) => i);
    const gather = (src: Float32Array, width: number, idx: Int32Array) => {
      const out = new Float32Array(idx.length * width);
      for (let j = 0; j < idx.length; j++) {
        out.set(src.subarray(idx[j] * width, (idx[j] + 1) * width), j * width);
      }
      return out;
    };
    let sums = { pg: 0, v: 0, entropy: 0, kl: 0, clipfrac: 0 };
    let count = 0;
    let stop = false;
    for (let epoch = 0; epoch < params.updateEpochs && !stop; epoch++) {
      for (let i = total - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        [index[i], index[j]] = [index[j], index[i]];
      }
      for (let start = 0; start + mbSize <= total; start += mbSize) {
        const idx = index.subarray(start, start + mbSize);
        const b = idx.length;
        const obs = tf.tensor2d(gather(data.obsBuf, obsDim, idx), [b, obsDim]);
        const u = tf.tensor2d(gather(data.uBuf, actDim, idx), [b, actDim]);
        const oldLogProb = tf.tensor1d(gather(data.logProbBuf, 1, idx));
        const oldValue = tf.tensor1d(gather(data.valueBuf, 1, idx));
        const ret = tf.tensor1d(gather(data.returns, 1, idx));
        let adv: tf.Tensor1D = tf.tensor1d(gather(data.advantages, 1, idx));
        if (params.normAdv) {
          const rawAdv = adv;
          adv = tf.tidy(() => {
            const { mean, variance } = tf.moments(rawAdv);
            return tf.div(tf.sub(rawAdv, mean), tf.add(tf.sqrt(variance), 1e-8)) as tf.Tensor1D;
          });
          rawAdv.dispose();
        }
        const stats: tf.Tensor[] = [];
        this.optimizer.minimize(() => {
          const { mean, logStd } = policy.distribution(obs);
          const logProb = GaussianPolicy.gaussianLogProb(u, mean, logStd);
          const logRatio = tf.sub(logProb, oldLogProb);
          const ratio = tf.exp(logRatio);
          const clipped = tf.clipByValue(ratio, 1 - params.clipCoef, 1 + params.clipCoef);
          const pgLoss = tf.mean(
            tf.maximum(tf.mul(tf.neg(adv), ratio), tf.mul(tf.neg(adv), clipped)),
          );
          const v = this.value(obs);
          let vLoss: tf.Tensor;
          if (params.clipVloss) {
            const vClipped = tf.add(
              oldValue,
              tf.clipByValue(tf.sub(v, oldValue), -params.clipCoef, params.clipCoef),
            );
            vLoss = tf.mul(
              0.5,
              tf.mean(tf.maximum(tf.square(tf.sub(v, ret)), tf.square(tf.sub(vClipped, ret)))),
            );
          } else {
            vLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(v, ret))));
          }
          const entropy = tf.mean(tf.sum(tf.add(logStd, 0.5 * Math.log(2 * Math.PI * Math.E)), 1));
          const kl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio));
          const clipfrac = tf.mean(
            tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), params.clipCoef), "float32"),
          );
          stats.push(
            tf.keep(pgLoss),
            tf.keep(vLoss),
            tf.keep(entropy),
            tf.keep(kl),
            tf.keep(clipfrac),
          );
          return tf.add(
            tf.sub(pgLoss, tf.mul(params.entCoef, entropy)),
            tf.mul(params.vfCoef, vLoss),
          ) as tf.Scalar;
        });
        const [pg, v, ent, kl, cf] = stats.map((s) => s.dataSync()[0]);
        sums = {
          pg: sums.pg + pg,
          v: sums.v + v,
          entropy: sums.entropy + ent,
          kl: sums.kl + kl,
          clipfrac: sums.clipfrac + cf,
        };
        count++;
        tf.dispose([...stats, obs, u, oldLogProb, oldValue, ret, adv]);
        if (params.targetKl > 0 && kl > params.targetKl) stop = true;
      }
    }
    let explainedVar = NaN;
    {
      let m = 0;
      for (const r of data.returns) m += r;
      m /= total;
      let varY = 0;
      let varRes = 0;
      for (let i = 0; i < total; i++) {
        varY += (data.returns[i] - m) ** 2;
        varRes += (data.returns[i] - data.valueBuf[i]) ** 2;
      }
      if (varY > 0) explainedVar = 1 - varRes / varY;
    }
    return {
      pg_loss: sums.pg / count,
      value_loss: sums.v / count,
      entropy: sums.entropy / count,
      approx_kl: sums.kl / count,
      clipfrac: sums.clipfrac / count,
      explained_variance: explainedVar,
    };
  }

  /** Critic, optimiser, reward normaliser, generator and counters. */
  state(): PpoState {
    return {
      envSteps: this.envSteps,
      rng: this.rng.state(),
      critic: exportVariables("critic", this.critic.variables()),
      optimizer: this.optimizer.state(),
      returnNormalizer: this.returnNormalizer?.state() ?? null,
    };
  }

  /** Restores {@link Ppo.state}'s output. */
  load(raw: unknown): void {
    const state = raw as PpoState;
    importVariables("critic", this.critic.variables(), state.critic);
    this.optimizer.load(state.optimizer);
    if (this.returnNormalizer && state.returnNormalizer) {
      this.returnNormalizer.load(state.returnNormalizer);
    }
    this.rng.load(state.rng);
    this.envSteps = state.envSteps;
  }

  /** Frees tensors (not the policy's). */
  dispose(): void {
    for (const v of this.critic.variables()) v.dispose();
    this.optimizer.dispose();
  }
}

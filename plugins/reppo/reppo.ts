/**
 * REPPO: Relative Entropy Pathwise Policy Optimization (Voelcker et al., arXiv 2507.11019),
 * after the REPPO code's `src/jaxrl/reppo.py` and `config/reppo.yaml`.
 *
 * On-policy: every iteration collects `numSteps` steps from each env copy with the current
 * tanh-Gaussian policy, then runs `updateEpochs` epochs of `numMinibatches` minibatches, each a
 * critic step and then an actor step (with the just-updated critic), then temperature and
 * multiplier steps. No replay, no target networks (the code's polyak is 1).
 *
 * Rollout: at each step, a' ~ pi(. | s_{t+1}) at the true next state (the final observation
 * where an episode ended) gives `Q_t = Q(s_{t+1}, a')`, the critic's features there (the aux
 * target) and the soft reward `r_t - gamma (1 - terminated_t) T log pi(a' | s_{t+1})`. Targets
 * are REPPO's soft TD(lambda) returns ({@link softLambdaReturns}).
 *
 * Critic: HL-Gauss cross entropy with LayerNorm ({@link CategoricalCritic}), plus `auxLossMult`
 * times the squared error of predicting the reward and the next features (masked where the
 * episode terminated).
 *
 * Actor (the code's "clipped" mode), per sample, with (y, log pi) a reparameterised draw:
 *   KL_i = KL(pi_old(. | s_i) || pi_theta(. | s_i))
 *   L_i  = T log pi_theta(y | s_i) - Q(s_i, y)   if KL_i <= klBound,   else lambda KL_i
 * The KL is the closed form of the two diagonal Gaussians on the pre-squash latent (tanh is a
 * bijection, so it is the KL of the squashed policies); the code estimates the same quantity
 * from 16 draws of the old policy. The temperature T is learned toward the entropy
 * `-entTargetMult |A|`, lambda toward `mean KL = klBound` (log-parameterised, Adam).
 *
 * Left out from the code: the per-env exploration-noise scaling (its default of 1 makes the
 * importance weights 1) and the actor's LayerNorm (the policy is this framework's Gaussian).
 */
import {
  type Algorithm,
  type AlgorithmContext,
  type IterationResult,
  type Metrics,
  type Rng,
  squashToBox,
  type VecEnv,
} from "../../core/mod.ts";
import { tf } from "../../core/tensor/mod.ts";
import {
  gatherRows,
  gaussianKl,
  type GaussianPolicy,
  type ReppoParams,
  ReppoParts,
  type ReppoPartsState,
  shuffledIndices,
  softLambdaReturns,
  trustRegionLoss,
} from "../learners/mod.ts";

/** One minibatch of the update, as tensors. */
interface ReppoMinibatch {
  obs: tf.Tensor2D;
  action: tf.Tensor2D;
  oldMean: tf.Tensor2D;
  oldLogStd: tf.Tensor2D;
}

/** REPPO over a {@link GaussianPolicy}. */
export class Reppo implements Algorithm {
  readonly policy: GaussianPolicy;
  readonly params: ReppoParams;
  envSteps = 0;
  readonly parts: ReppoParts;
  private readonly env: VecEnv;
  private readonly rng: Rng;

  /** Builds the critic (over obs and action), the optimisers, temperature and multiplier. */
  constructor(context: AlgorithmContext<ReppoParams, GaussianPolicy>) {
    const { env, params, rng, policy } = context;
    this.policy = policy;
    this.params = params;
    this.env = env;
    this.rng = rng;
    this.parts = new ReppoParts(context, {
      criticInputs: env.obsDim + env.actDim,
      actorVariables: policy.trainableVariables(),
      returnGamma: params.gamma,
    });
  }

  /** Q(s, y) for normalised observations and actions in [-1, 1]. */
  q(obs: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor1D {
    return this.parts.critic.value(tf.concat([obs, y], 1) as tf.Tensor2D);
  }

  /**
   * The actor's loss on a minibatch with reparameterisation noise `noise`, at temperature
   * `temperature` and multiplier `lambda` (constants of this loss): the trust-region switch of
   * the module comment. Returns the per-sample log density and KL for the other updates.
   */
  actorLoss(
    batch: ReppoMinibatch,
    noise: tf.Tensor2D,
    temperature: number,
    lambda: number,
  ): { loss: tf.Scalar; logProb: tf.Tensor1D; kl: tf.Tensor1D; violated: tf.Tensor1D } {
    const { mean, logStd } = this.policy.distribution(batch.obs);
    const { y, logProb } = this.policy.sample(batch.obs, noise);
    const objective = tf.sub(tf.mul(temperature, logProb), this.q(batch.obs, y)) as tf.Tensor1D;
    const kl = gaussianKl(batch.oldMean, batch.oldLogStd, mean, logStd);
    const { loss, violated } = trustRegionLoss(objective, kl, this.params.klBound, lambda);
    return { loss, logProb, kl, violated };
  }

  /** One rollout of `numSteps` per env, then the epochs of minibatch updates. */
  iterate(): IterationResult {
    const { env, params, policy, parts } = this;
    const { numEnvs: n, obsDim, actDim } = env;
    const T = params.numSteps;
    const total = T * n;
    const H = params.criticHidden;
    const obsBuf = new Float32Array(total * obsDim);
    const actionBuf = new Float32Array(total * actDim);
    const meanBuf = new Float32Array(total * actDim);
    const logStdBuf = new Float32Array(total * actDim);
    const rewardBuf = new Float32Array(total);
    const softBuf = new Float32Array(total);
    const valueBuf = new Float32Array(total);
    const featureBuf = new Float32Array(total * H);
    const terminated = new Uint8Array(total);
    const truncated = new Uint8Array(total);
    const episodes = [];
    const noise = new Float32Array(n * actDim);
    const temperature = parts.temperature.value;
    for (let t = 0; t < T; t++) {
      const raw = env.obs;
      policy.obsNormalizer.update(raw, n);
      const obs = policy.obsNormalizer.apply(raw);
      this.rng.fillNormal(noise);
      const [y, mean, logStd] = tf.tidy(() => {
        const o = tf.tensor2d(obs, [n, obsDim]);
        const d = policy.distribution(o);
        const s = policy.sample(o, tf.tensor2d(noise, [n, actDim]));
        return [s.y, d.mean, d.logStd].map((x) => x.dataSync() as Float32Array);
      });
      const step = env.step(squashToBox(y, env.actionSpace));
      const reward = step.reward.map((r) => r * params.rewardScale);
      parts.returnNormalizer?.normalize(reward, step.terminated);
      // a' at the true next state: its log density, Q and the critic's features there
      const next = policy.obsNormalizer.apply(step.finalObs);
      this.rng.fillNormal(noise);
      const { value, features, logProb } = tf.tidy(() => {
        const o = tf.tensor2d(next, [n, obsDim]);
        const s = policy.sample(o, tf.tensor2d(noise, [n, actDim]));
        const e = parts.critic.evaluate(tf.concat([o, s.y], 1) as tf.Tensor2D);
        return { ...e, logProb: s.logProb.dataSync() as Float32Array };
      });
      for (let i = 0; i < n; i++) {
        const j = t * n + i;
        terminated[j] = step.terminated[i];
        truncated[j] = step.truncated[i];
        rewardBuf[j] = reward[i];
        softBuf[j] = reward[i] -
          (step.terminated[i] ? 0 : params.gamma * temperature * logProb[i]);
      }
      obsBuf.set(obs, t * n * obsDim);
      actionBuf.set(y, t * n * actDim);
      meanBuf.set(mean, t * n * actDim);
      logStdBuf.set(logStd, t * n * actDim);
      valueBuf.set(value, t * n);
      featureBuf.set(features, t * n * H);
      episodes.push(...step.episodes);
    }
    this.envSteps += total;
    const targets = softLambdaReturns(
      { softRewards: softBuf, nextValues: valueBuf, terminated, truncated },
      { numEnvs: n, gamma: params.gamma, lambda: params.lambda },
    );
    const metrics = this.update({
      obsBuf,
      actionBuf,
      meanBuf,
      logStdBuf,
      rewardBuf,
      featureBuf,
      terminated,
      targets,
    });
    return { metrics, episodes };
  }

  private update(data: {
    obsBuf: Float32Array;
    actionBuf: Float32Array;
    meanBuf: Float32Array;
    logStdBuf: Float32Array;
    rewardBuf: Float32Array;
    featureBuf: Float32Array;
    terminated: Uint8Array;
    targets: Float32Array;
  }): Metrics {
    const { params, parts, env } = this;
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
        const target = gatherRows(data.targets, 1, idx);
        const auxMask = Float32Array.from(idx, (j) => 1 - data.terminated[j]);
        const actorNoise = this.rng.fillNormal(new Float32Array(B * actDim));
        tf.tidy(() => {
          const batch: ReppoMinibatch = {
            obs: tf.tensor2d(gatherRows(data.obsBuf, obsDim, idx), [B, obsDim]),
            action: tf.tensor2d(gatherRows(data.actionBuf, actDim, idx), [B, actDim]),
            oldMean: tf.tensor2d(gatherRows(data.meanBuf, actDim, idx), [B, actDim]),
            oldLogStd: tf.tensor2d(gatherRows(data.logStdBuf, actDim, idx), [B, actDim]),
          };
          parts.criticStep(
            {
              input: tf.concat([batch.obs, batch.action], 1) as tf.Tensor2D,
              target,
              reward: tf.tensor1d(gatherRows(data.rewardBuf, 1, idx)),
              nextFeatures: tf.tensor2d(gatherRows(data.featureBuf, H, idx), [B, H]),
              auxMask: tf.tensor1d(auxMask),
            },
            params.auxLossMult,
            add,
          );
          parts.actorStep(
            (temperature, lambda) => {
              const out = this.actorLoss(
                batch,
                tf.tensor2d(actorNoise, [B, actDim]),
                temperature,
                lambda,
              );
              return { ...out, logDensity: out.logProb };
            },
            add,
            { densityScale: 1, reportEntropy: true, klBound: params.klBound },
          );
        });
        count++;
      }
    }
    return parts.updateMetrics(sums, count, data.targets);
  }

  /** Parts, generator and counters. */
  state(): ReppoPartsState {
    return this.parts.state(this.envSteps);
  }

  /** Restores {@link Reppo.state}'s output. */
  load(raw: unknown): void {
    const state = raw as ReppoPartsState;
    this.parts.load(state);
    this.envSteps = state.envSteps;
  }

  /** Frees tensors (not the policy's). */
  dispose(): void {
    this.parts.dispose();
  }
}

/**
 * Off-policy mechanics over the tanh-Gaussian policy shared by SAC and WPO: the replay layout,
 * the collection step, and SAC's soft critic target.
 */
import { type Rng, scaleToBox, type VecEnv, type VecStep } from "../../core/mod.ts";
import { tf } from "../../core/tensor/mod.ts";
import type { TwinQ } from "./critics.ts";
import type { GaussianPolicy } from "./gaussian_policy.ts";
import type { ReplayBuffer, ReplayLayout } from "./replay.ts";

/** Replay fields of one transition: `obs`, `action` (y in [-1, 1]), `reward`, `nextObs`, `terminated`. */
export function gaussianReplayLayout(env: VecEnv): ReplayLayout {
  return {
    obs: env.obsDim,
    action: env.actDim,
    reward: 1,
    nextObs: env.obsDim,
    terminated: 1,
  };
}

/**
 * One env step for every copy, each transition added to `replay` (with the final observation as
 * `nextObs`). The actions are uniform in [-1, 1] when `random` (before learning starts), else
 * the policy's samples; either way `numEnvs * actDim` draws from `rng`.
 */
export function collectGaussianStep(
  env: VecEnv,
  policy: GaussianPolicy,
  rng: Rng,
  replay: ReplayBuffer,
  random: boolean,
): VecStep {
  const n = env.numEnvs;
  const obs = env.obs.slice();
  let y: Float32Array;
  if (random) {
    y = new Float32Array(n * env.actDim);
    for (let i = 0; i < y.length; i++) y[i] = rng.uniformRange(-1, 1);
  } else {
    const noise = rng.fillNormal(new Float32Array(n * env.actDim));
    y = tf.tidy(() =>
      policy.sample(policy.obsTensor(obs), tf.tensor2d(noise, [n, env.actDim])).y
        .dataSync() as Float32Array
    );
  }
  const step = env.step(scaleToBox(y, env.actionSpace));
  for (let i = 0; i < n; i++) {
    replay.add({
      obs,
      action: y,
      reward: step.reward,
      nextObs: step.finalObs,
      terminated: step.terminated,
    }, i);
  }
  return step;
}

/** The critics' regression batch: the replayed actions and the soft Bellman targets. */
export interface SoftCriticBatch {
  action: tf.Tensor2D;
  target: tf.Tensor1D;
}

/**
 * SAC's critic batch on replayed transitions (`obs` is the batch's normalised observations), to
 * fit `Q(s, a)` with `critics.fitOf(obs, action, target)`: target
 * `r + gamma (1 - terminated) (min Q'(s', a') - alpha log pi(a'|s'))` with `a' ~ pi(.|s')` drawn
 * with `batch * actDim` normals from `rng` (no entropy term when alpha is 0). The caller disposes
 * both tensors.
 */
export function softCriticBatch(
  policy: GaussianPolicy,
  critics: TwinQ,
  batch: Record<string, Float32Array>,
  obs: tf.Tensor2D,
  rng: Rng,
  options: { alpha: number; gamma: number },
): SoftCriticBatch {
  const { alpha, gamma } = options;
  const B = obs.shape[0];
  const actDim = policy.actDim;
  const nextNoise = rng.fillNormal(new Float32Array(B * actDim));
  const action = tf.tensor2d(batch.action, [B, actDim]);
  const target = tf.tidy(() => {
    const nextObs = policy.obsTensor(batch.nextObs);
    const next = policy.sampleAction(nextObs, tf.tensor2d(nextNoise, [B, actDim]));
    const minQ = critics.minOf(nextObs, next.y, { target: true });
    const soft = alpha === 0 ? minQ : tf.sub(minQ, tf.mul(alpha, next.logProb));
    const notDone = tf.sub(1, tf.tensor1d(batch.terminated));
    return tf.add(tf.tensor1d(batch.reward), tf.mul(gamma, tf.mul(notDone, soft))) as tf.Tensor1D;
  });
  return { action, target };
}

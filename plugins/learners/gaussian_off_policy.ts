/**
 * Off-policy mechanics over actions in [-1, 1]: the replay layout of a transition, the
 * collection step (shared by the tanh-Gaussian learners and TD3), and SAC's soft critic fit.
 */
import { type Rng, scaleToBox, type VecEnv, type VecStep } from "../../core/mod.ts";
import { tf } from "../../core/tensor/mod.ts";
import type { TwinQ } from "./critics.ts";
import { fusedSacAvailable, softBellmanTarget } from "./fused_sac.ts";
import type { GaussianPolicy } from "./gaussian_policy.ts";
import type { ReplayBuffer, ReplayLayout } from "./replay.ts";

/** Replay fields of one transition: `obs`, `action` (y in [-1, 1]), `reward`, `nextObs`, `terminated`. */
export function transitionReplayLayout(env: VecEnv): ReplayLayout {
  return {
    obs: env.obsDim,
    action: env.actDim,
    reward: 1,
    nextObs: env.obsDim,
    terminated: 1,
  };
}

/**
 * One env step for every copy with actions `y` in [-1, 1] (rescaled to the Box), each
 * transition added to `replay` (with the final observation as `nextObs`). `y` is uniform when
 * `random` (`numEnvs * actDim` draws from `rng`), else `policyActions(obs)`.
 */
export function collectStep(
  env: VecEnv,
  rng: Rng,
  replay: ReplayBuffer,
  random: boolean,
  policyActions: (obs: Float32Array) => Float32Array,
): VecStep {
  const obs = env.obs.slice();
  let y: Float32Array;
  if (random) {
    y = new Float32Array(env.numEnvs * env.actDim);
    for (let i = 0; i < y.length; i++) y[i] = rng.uniformRange(-1, 1);
  } else {
    y = policyActions(obs);
  }
  const step = env.step(scaleToBox(y, env.actionSpace));
  for (let i = 0; i < env.numEnvs; i++) {
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

/**
 * {@link collectStep} with the tanh-Gaussian policy's samples (`numEnvs * actDim` normals
 * from `rng`) once not `random`.
 */
export function collectGaussianStep(
  env: VecEnv,
  policy: GaussianPolicy,
  rng: Rng,
  replay: ReplayBuffer,
  random: boolean,
): VecStep {
  return collectStep(env, rng, replay, random, (obs) => {
    const noise = rng.fillNormal(new Float32Array(env.numEnvs * env.actDim));
    return tf.tidy(() =>
      policy.sample(policy.obsTensor(obs), tf.tensor2d(noise, [env.numEnvs, env.actDim])).y
        .dataSync() as Float32Array
    );
  });
}

/**
 * One step of SAC's critic regression on replayed transitions: `Q(s, a)` toward
 * `r + gamma (1 - terminated) (min Q'(s', a') - alpha log pi(a'|s'))` with `a' ~ pi(.|s')`
 * drawn with `batch * actDim` normals from `rng` (no entropy term when alpha is 0). Returns the
 * loss and the batch's normalised observations (for the actor phase; the caller disposes them).
 */
export function fitSoftCritics(
  policy: GaussianPolicy,
  critics: TwinQ,
  batch: Record<string, Float32Array>,
  rng: Rng,
  options: { alpha: number; gamma: number },
): { loss: number; obs: tf.Tensor2D } {
  const { alpha, gamma } = options;
  const obs = policy.obsTensor(batch.obs);
  const B = obs.shape[0];
  const actDim = policy.actDim;
  const nextNoise = rng.fillNormal(new Float32Array(B * actDim));
  const action = tf.tensor2d(batch.action, [B, actDim]);
  const target = fusedSacAvailable() ? fusedTarget() : tf.tidy(() => {
    const nextObs = policy.obsTensor(batch.nextObs);
    const next = policy.sampleAction(nextObs, tf.tensor2d(nextNoise, [B, actDim]));
    const minQ = critics.minOf(nextObs, next.y, { target: true });
    const soft = alpha === 0 ? minQ : tf.sub(minQ, tf.mul(alpha, next.logProb));
    const notDone = tf.sub(1, tf.tensor1d(batch.terminated));
    return tf.add(tf.tensor1d(batch.reward), tf.mul(gamma, tf.mul(notDone, soft))) as tf.Tensor1D;
  });
  // on wasm, the target from the target critics' values in one pass (the same bits)
  function fusedTarget(): tf.Tensor1D {
    const [q, logProb] = tf.tidy(() => {
      const nextObs = policy.obsTensor(batch.nextObs);
      const next = policy.sampleAction(nextObs, tf.tensor2d(nextNoise, [B, actDim]));
      return [critics.pairOf(nextObs, next.y, { target: true }), next.logProb];
    });
    const values = softBellmanTarget(
      q.dataSync() as Float32Array,
      logProb.dataSync() as Float32Array,
      { reward: batch.reward, terminated: batch.terminated },
      alpha,
      gamma,
    );
    tf.dispose([q, logProb]);
    return tf.tensor1d(values);
  }
  const loss = critics.fitOf(obs, action, target);
  tf.dispose([action, target]);
  return { loss, obs };
}

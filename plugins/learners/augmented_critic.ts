/**
 * Off-policy learning on the DA-MDP (DiffSAC, DiffWPO): collection through the
 * {@link DiffusionAugmentedEnv} with each env transition stored together with the latent chain
 * a^K..a^0 that produced its action, and the augmented critic Q(s, a^k, k, a^{k-1}) with its
 * Bellman target. With k drawn uniformly in 1..K per replayed transition, `(s, a^k, k) ->
 * a^{k-1}` is a real DA-MDP transition, and the target is
 *
 *   k > 1: y = gamma_aug (Q'(s, a^{k-1}, k-1, b) - alpha l(b)),  b ~ q(. | s, a^{k-1}, k-1)
 *   k = 1: y = r + gamma_aug (1 - done) (Q'(s', a'^K, K, b') - alpha l(b')),  a'^K ~ p0
 */
import type { Rng, VecEnv } from "../../core/mod.ts";
import { normalTensor, tf } from "../../core/tensor/mod.ts";
import type { TwinQ } from "./critics.ts";
import type { ReplayBuffer, ReplayLayout } from "./replay.ts";
import { augmentedGamma, type AugmentedStep, type DiffusionAugmentedEnv } from "./da_mdp.ts";
import type { DiffusionPolicy } from "./diffusion_policy.ts";

/**
 * Hyper-parameters DiffSAC and DiffWPO set over SAC's: the temperature's target for the path
 * entropy estimate, and the per-augmented-step discount.
 */
export const AUGMENTED_CRITIC_SCHEMA = {
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
    doc: "per-augmented-step discount; 0 means gamma^(1/K)",
  },
} as const;

/**
 * Replay fields of one env transition: `obs`, `chain` (rows a^K, a^{K-1}, ..., a^0, so slot j
 * holds a^{K-j}), `reward`, `nextObs`, `terminated`.
 */
export function chainReplayLayout(env: VecEnv, steps: number): ReplayLayout {
  return {
    obs: env.obsDim,
    chain: (steps + 1) * env.actDim,
    reward: 1,
    nextObs: env.obsDim,
    terminated: 1,
  };
}

/** The per-augmented-step discount: `override` when positive, else `gamma^(1/K)`. */
export function augmentedDiscount(gamma: number, override: number, steps: number): number {
  return override > 0 ? override : augmentedGamma(gamma, steps);
}

/**
 * One env step: K augmented steps of every copy through `daMdp` (the denoising noise drawn from
 * `rng`, `numEnvs * actDim` normals per step), each env transition added to `replay` with its
 * latent chain. Returns the augmented step that was the env step.
 *
 * With `randomAction` (the warm-up before learning starts) the last step's latent is
 * `atanh(y)` for a uniformly random env action `y`, as SAC acts uniformly at random before
 * learning: the untrained chain (prior std sigma0) saturates tanh, so its actions alone would
 * never show the critic the interior of the action Box. The stored transitions stay valid
 * DA-MDP transitions (any behaviour is fine for the off-policy critic).
 */
export function collectChainStep(
  daMdp: DiffusionAugmentedEnv,
  policy: DiffusionPolicy,
  rng: Rng,
  replay: ReplayBuffer,
  options: { randomAction?: boolean } = {},
): AugmentedStep {
  const { env, steps: K } = daMdp;
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
  record(daMdp.latent, 0);
  const obsTensor = policy.obsTensor(obs);
  let result = null;
  for (let slot = 1; slot <= K; slot++) {
    const k = daMdp.k;
    let next: Float32Array;
    if (options.randomAction && k === 1) {
      next = new Float32Array(n * actDim);
      for (let i = 0; i < next.length; i++) next[i] = Math.atanh(rng.uniformRange(-0.999, 0.999));
    } else {
      const noise = rng.fillNormal(new Float32Array(n * actDim));
      next = tf.tidy(() =>
        policy.denoise(
          obsTensor,
          tf.tensor2d(daMdp.latent, [n, actDim]),
          tf.fill([n], k, "int32") as tf.Tensor1D,
          tf.tensor2d(noise, [n, actDim]),
        ).next.dataSync() as Float32Array
      );
    }
    record(next, slot);
    result = daMdp.step(next);
  }
  obsTensor.dispose();
  if (!result?.envStep || !result.finalObs) throw new Error("DA-MDP did not reach the env step");
  for (let i = 0; i < n; i++) {
    replay.add({
      obs,
      chain,
      reward: result.reward,
      nextObs: result.finalObs,
      terminated: result.terminated,
    }, i);
  }
  return result;
}

/** Rows of stored chains (slot j holds a^{K-j}), `slots[b]` of row b: `[slots.length, actDim]`. */
export function latentAt(
  chain: Float32Array,
  slots: Int32Array,
  steps: number,
  actDim: number,
): tf.Tensor2D {
  const batch = slots.length;
  const out = new Float32Array(batch * actDim);
  for (let b = 0; b < batch; b++) {
    const offset = (b * (steps + 1) + slots[b]) * actDim;
    out.set(chain.subarray(offset, offset + actDim), b * actDim);
  }
  return tf.tensor2d(out, [batch, actDim]);
}

/** Width of the augmented critic input `[s, a^k, one-hot(k), a^{k-1}]`. */
export function augmentedCriticInputs(env: VecEnv, steps: number): number {
  return env.obsDim + 2 * env.actDim + steps;
}

/** The augmented critic input `[s, a^k, one-hot(k), a^{k-1}]`. */
export function augmentedCriticInput(
  policy: DiffusionPolicy,
  obs: tf.Tensor2D,
  a: tf.Tensor2D,
  k: tf.Tensor1D,
  prev: tf.Tensor2D,
): tf.Tensor2D {
  return tf.concat([obs, a, policy.stepOneHot(k), prev], 1) as tf.Tensor2D;
}

/** One augmented critic batch; the caller disposes every tensor. */
export interface AugmentedCriticBatch {
  /** The sampled k per row, uniform in 1..K: `[batch]` int32. */
  k: tf.Tensor1D;
  /** a^k: `[batch, actDim]`. */
  a: tf.Tensor2D;
  /** The stored a^{k-1}: `[batch, actDim]`. */
  prev: tf.Tensor2D;
  /** `[s, a^k, one-hot(k), a^{k-1}]`. */
  input: tf.Tensor2D;
  /** The DA-MDP Bellman target (see the module comment): `[batch]`. */
  target: tf.Tensor1D;
}

/**
 * The augmented critic's regression batch on replayed transitions with their chains (`obs` is
 * the batch's normalised observations). Draws from `rng`, in this order: k per row (`batch`
 * integers), the prior a'^K (`batch * actDim` normals) and the denoising noise of b
 * (`batch * actDim` normals). No entropy term when alpha is 0.
 */
export function augmentedCriticBatch(
  policy: DiffusionPolicy,
  critics: TwinQ,
  batch: Record<string, Float32Array>,
  obs: tf.Tensor2D,
  rng: Rng,
  options: { alpha: number; gamma: number },
): AugmentedCriticBatch {
  const { alpha, gamma } = options;
  const K = policy.steps;
  const { actDim } = policy;
  const B = obs.shape[0];
  // per sample: k uniform in 1..K; a^k in slot K-k, a^{k-1} in slot K-k+1
  const kValues = new Int32Array(B);
  for (let b = 0; b < B; b++) kValues[b] = 1 + rng.int(K);
  const k = tf.tensor1d(kValues, "int32");
  const a = latentAt(batch.chain, kValues.map((kk) => K - kk), K, actDim);
  const prev = latentAt(batch.chain, kValues.map((kk) => K - kk + 1), K, actDim);
  const priorNoise = rng.fillNormal(new Float32Array(B * actDim));
  const targetNoise = normalTensor(rng, [B, actDim]) as tf.Tensor2D;
  const target = tf.tidy(() => {
    // k > 1: continue inside the chain at (s, a^{k-1}, k-1); k = 1: the next env state
    // (s', a'^K ~ p0, K). Both cases row by row with a mask.
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
    const minQ = critics.min(augmentedCriticInput(policy, sObs, sA, sK, b.next), { target: true });
    const soft = alpha === 0 ? minQ : tf.sub(minQ, tf.mul(alpha, b.logRatio));
    const envMask = tf.cast(isEnvStep, "float32");
    const reward = tf.mul(tf.tensor1d(batch.reward), envMask);
    const notDone = tf.sub(1, tf.mul(tf.tensor1d(batch.terminated), envMask));
    return tf.add(reward, tf.mul(gamma, tf.mul(notDone, soft))) as tf.Tensor1D;
  });
  targetNoise.dispose();
  const input = tf.tidy(() => augmentedCriticInput(policy, obs, a, k, prev));
  return { k, a, prev, input, target };
}

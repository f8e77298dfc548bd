/**
 * The small losses around SAC's networks as single float32 passes in JavaScript, with the
 * tensor form's bits on the wasm backend (every operation rounded to float32 as its kernel
 * rounds it, sums accumulated in the kernels' sequential order, gradients as autodiff forms
 * them from the tensor form): the twin critics' squared error, the soft Bellman target, and
 * the temperature loss. Each stands for a dozen or more small kernels forward and backward.
 * The `cpu` backend accumulates its sums in double precision, so these run on wasm only
 * ({@link fusedSacAvailable}); the callers keep the tensor form elsewhere.
 */
import { customOp, tf } from "../../core/tensor/mod.ts";
import { applyKernel } from "./squashed_gaussian.ts";

/** Whether the fused passes here run (and give the tensor form's bits) on this backend. */
export function fusedSacAvailable(): boolean {
  return tf.getBackend() === "wasm";
}

const f = Math.fround;

/**
 * `sum over rows of mean((q - target)^2)` for `q` of `[rows, batch]` (Q1 and Q2 of a batch)
 * and a `[batch]` target (data: no gradient), as
 * `tf.sum(tf.mean(tf.square(tf.sub(q, target)), 1))` computes it, value and gradient.
 */
export function fusedSquaredError(q: tf.Tensor2D, target: Float32Array): tf.Scalar {
  const [rows, B] = q.shape;
  const diff = new Float32Array(rows * B);
  return customOp({ q }, () => {
    const values = q.dataSync() as Float32Array;
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let b = 0; b < B; b++) {
        const d = f(values[r * B + b] - target[b]);
        diff[r * B + b] = d;
        sum = f(sum + f(d * d));
      }
      loss = f(loss + f(sum / B));
    }
    return { outputs: [tf.scalar(loss)], keep: [] };
  }, ([dy]) => ({
    q: () => {
      // sum's and mean's gradients broadcast dy / batch; square's is dy 2d
      const dRow = f(f(f(dy.dataSync()[0] * 1) * 1) / B);
      return tf.tensor2d(diff.map((d) => f(dRow * f(d * 2))), [rows, B]);
    },
  }))[0] as tf.Scalar;
}

/**
 * The soft Bellman target `reward + gamma ((1 - terminated) (min(q1, q2) - alpha logProb))`
 * from the target critics' `[2, batch]` values (row-major), as the tensor form computes it
 * (`tf.minimum`, then `tf.sub(minQ, tf.mul(alpha, logProb))`, skipped when alpha is 0).
 */
export function softBellmanTarget(
  qPair: Float32Array,
  logProb: Float32Array,
  batch: { reward: Float32Array; terminated: Float32Array },
  alpha: number,
  gamma: number,
): Float32Array {
  const B = logProb.length;
  const [a, g] = [f(alpha), f(gamma)];
  const out = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const [q1, q2] = [qPair[b], qPair[B + b]];
    const minQ = q1 < q2 || Number.isNaN(q1) ? q1 : q2;
    const soft = alpha === 0 ? minQ : f(minQ - f(a * logProb[b]));
    const notDone = f(1 - batch.terminated[b]);
    out[b] = f(batch.reward[b] + f(g * f(notDone * soft)));
  }
  return out;
}

/**
 * SAC's temperature loss `mean(-exp(logAlpha) (logProb + targetEntropy))` for a scalar
 * `logAlpha` and data `logProb`, value and gradient as the tensor form
 * `tf.mean(tf.mul(tf.neg(tf.exp(logAlpha)), tf.add(logProb, targetEntropy)))` has them (the
 * backend's `Exp` kernel for the exponential).
 */
export function fusedTemperatureLoss(
  logAlpha: tf.Tensor,
  logProb: Float32Array,
  targetEntropy: number,
): tf.Scalar {
  const B = logProb.length;
  const te = f(targetEntropy);
  const shifted = logProb.map((lp) => f(lp + te));
  let alpha = 0;
  return customOp({ logAlpha }, () => {
    alpha = applyKernel(tf.exp, logAlpha.dataSync() as Float32Array)[0];
    let sum = 0;
    for (let b = 0; b < B; b++) sum = f(sum + f(-alpha * shifted[b]));
    return { outputs: [tf.scalar(f(sum / B))], keep: [] };
  }, ([dy]) => ({
    logAlpha: () => {
      // mean's gradient dy / n per element; mul's for the broadcast scalar, the sum over the
      // batch of that times (logProb + targetEntropy); then neg's and exp's
      const dElement = f(f(dy.dataSync()[0] * 1) / B);
      let dNegAlpha = 0;
      for (let b = 0; b < B; b++) dNegAlpha = f(dNegAlpha + f(dElement * shifted[b]));
      return tf.tensor(new Float32Array([f(-dNegAlpha * alpha)]), logAlpha.shape);
    },
  }))[0] as tf.Scalar;
}

/**
 * SAC's actor loss `mean(alpha logProb - min(q1, q2))` from the squashed sample's op output
 * `packed` (`[batch, act + 1]`, the log density in its last column) and the critics' `[2, batch]`
 * values, as the tensor form (slice and reshape of the log density, `tf.unstack`,
 * `tf.minimum`, `tf.mul`, `tf.sub`, `tf.mean`) computes it, value and gradients; `logProb` is
 * filled with the batch's log densities when the forward pass runs.
 */
export function fusedActorLoss(
  packed: tf.Tensor2D,
  qPair: tf.Tensor2D,
  alpha: number,
): { loss: tf.Scalar; logProb: Float32Array } {
  const [B, width] = packed.shape;
  const A = width - 1;
  const logProb = new Float32Array(B);
  const a = f(alpha);
  let q: Float32Array = new Float32Array(0);
  const [loss] = customOp({ packed, qPair }, () => {
    const p = packed.dataSync() as Float32Array;
    q = qPair.dataSync() as Float32Array;
    let sum = 0;
    for (let b = 0; b < B; b++) {
      const lp = p[b * width + A];
      logProb[b] = lp;
      const [q1, q2] = [q[b], q[B + b]];
      const minQ = q1 < q2 || Number.isNaN(q1) ? q1 : q2;
      sum = f(sum + f(f(a * lp) - minQ));
    }
    return { outputs: [tf.scalar(f(sum / B))], keep: [] };
  }, ([dy]) => {
    // mean's gradient dy / n; sub's passes it to alpha logProb and minus it to min(q);
    // minimum's goes to q1 where q1 <= q2, else to q2 (tfjs's rule)
    const dElement = () => f(f(dy.dataSync()[0] * 1) / B);
    return {
      packed: () => {
        const dPacked = new Float32Array(B * width);
        const d = f(dElement() * a);
        for (let b = 0; b < B; b++) dPacked[b * width + A] = d;
        return tf.tensor2d(dPacked, [B, width]);
      },
      qPair: () => {
        const e = dElement();
        const dq = new Float32Array(2 * B);
        for (let b = 0; b < B; b++) {
          const [q1, q2] = [q[b], q[B + b]];
          dq[b] = f(-e * (q1 <= q2 ? 1 : 0));
          dq[B + b] = f(-e * (q1 > q2 ? 1 : 0));
        }
        return tf.tensor2d(dq, [2, B]);
      },
    };
  });
  return { loss: loss as tf.Scalar, logProb };
}

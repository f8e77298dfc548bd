/**
 * The tanh-squashed Gaussian sample of SAC's losses as one custom op: from the policy
 * network's output (mean, then raw log std) and the noise, the action `y` and its log density
 * packed as `[batch, act + 1]`, with a hand-derived gradient. Two forms with the same bits on
 * the wasm backend:
 *
 * - {@link squashedSampleOp}: tensor ops (some twenty kernels forward, as many backward);
 * - {@link fusedSquashedSampleOp}: single float32 passes over the batch in JavaScript, every
 *   operation rounded to float32 as the kernels round it, with the backend's own `Tanh`,
 *   `Exp` and `Log` kernels (four, each on one array) for the transcendental functions; wasm
 *   only.
 */
import { customOp, tanhLogDet, tf } from "../../core/tensor/mod.ts";

/** The squash's constants: action dims, log-std range, `sum log(half-width)` of the Box. */
export interface SquashSpec {
  actDim: number;
  logStdMin: number;
  logStdMax: number;
  logScaleSum: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** A sample op: `(networkOutput [batch, 2 act], noise [batch, act]) => [batch, act + 1]`. */
export type SquashedSampleOp = (out: tf.Tensor2D, noise: tf.Tensor2D) => tf.Tensor2D;

/** Diagonal Gaussian log density of `u` (no squash correction), summed over dims. */
export function gaussianLogProb(u: tf.Tensor, mean: tf.Tensor, logStd: tf.Tensor): tf.Tensor1D {
  const z = tf.div(tf.sub(u, mean), tf.exp(logStd));
  const perDim = tf.neg(tf.add(tf.add(tf.mul(0.5, tf.square(z)), logStd), 0.5 * LOG_2PI));
  return tf.sum(perDim, 1) as tf.Tensor1D;
}

/**
 * The tensor form. With `t = tanh(u)` and `z = noise` (the Gaussian term's dependence through
 * `z` cancels): `du = (dy [|t| <= 0.999] + dlogProb 2t / (1 - t^2 + 1e-6)) (1 - t^2)`,
 * `dmean = du`, `dlogStd = du noise std - dlogProb`,
 * `draw = dlogStd (hi - lo) / 2 (1 - tanh(raw)^2)`; no gradient for the noise.
 */
export function squashedSampleOp(spec: SquashSpec): SquashedSampleOp {
  const { actDim: A, logStdMin: lo, logStdMax: hi, logScaleSum } = spec;
  return tf.customGrad(
    ((...args: unknown[]) => {
      const save = args.pop() as tf.GradSaveFunc;
      const [out, noise] = args as tf.Tensor2D[];
      const mean = tf.slice(out, [0, 0], [-1, A]);
      const tr = tf.tanh(tf.slice(out, [0, A], [-1, A]));
      const logStd = tf.add(lo, tf.mul(0.5 * (hi - lo), tf.add(tr, 1)));
      const std = tf.exp(logStd);
      const u = tf.add(mean, tf.mul(std, noise));
      const t = tf.tanh(u);
      const y = tf.clipByValue(t, -0.999, 0.999);
      const gaussian = gaussianLogProb(u, mean, logStd);
      const correction = tanhLogDet(t);
      const logProb = tf.sub(tf.sub(gaussian, correction), logScaleSum);
      save([t, tr, std, noise]);
      return {
        value: tf.concat([y, tf.reshape(logProb, [-1, 1])], 1),
        gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
          const [ts, trs, stds, noises] = saved;
          const dY = tf.slice(dy, [0, 0], [-1, A]);
          const dL = tf.slice(dy, [0, A], [-1, 1]);
          const oneMinusT2 = tf.sub(1, tf.square(ts));
          const clipped = tf.where(tf.lessEqual(tf.abs(ts), 0.999), dY, tf.zerosLike(dY));
          const dT = tf.add(clipped, tf.mul(dL, tf.div(tf.mul(2, ts), tf.add(oneMinusT2, 1e-6))));
          const du = tf.mul(dT, oneMinusT2);
          const dLogStd = tf.sub(tf.mul(tf.mul(du, noises), stds), dL);
          const dRaw = tf.mul(dLogStd, tf.mul(0.5 * (hi - lo), tf.sub(1, tf.square(trs))));
          return [tf.concat([du, dRaw], 1), tf.zerosLike(noises)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  ) as unknown as SquashedSampleOp;
}

const f = Math.fround;

/**
 * `kernel(x)` on the backend for a float32 array (one kernel, read back). Not in a tf.tidy:
 * tidy walks what its function returns element by element, milliseconds for a typed array.
 */
export function applyKernel(kernel: (x: tf.Tensor) => tf.Tensor, x: Float32Array): Float32Array {
  const input = tf.tensor1d(x);
  const output = kernel(input);
  const values = output.dataSync() as Float32Array;
  tf.dispose([input, output]);
  return values;
}

/**
 * {@link squashedSampleOp} as float32 passes in JavaScript with the same bits, on the wasm
 * backend (the `cpu` backend accumulates sums in double precision); null elsewhere.
 */
export function fusedSquashedSampleOp(spec: SquashSpec): SquashedSampleOp | null {
  if (tf.getBackend() !== "wasm") return null;
  const { actDim: A, logStdMin: lo, logStdMax: hi, logScaleSum } = spec;
  const halfRange = f(0.5 * (hi - lo));
  const [loF, clip, halfLog2Pi, tiny] = [f(lo), f(0.999), f(0.5 * LOG_2PI), f(1e-6)];
  const scaleSum = f(logScaleSum);
  // the noise is data: read in the forward pass, not an input of the op (no gradient for it)
  return (outT, noiseT) => {
    const B = outT.shape[0];
    const n = B * A;
    const noise = noiseT.dataSync() as Float32Array;
    // what the backward pass reads, from the forward pass
    let [tr, std, t]: Float32Array[] = [];
    return customOp({ out: outT }, () => {
      const out = outT.dataSync() as Float32Array;
      const raw = new Float32Array(n);
      for (let b = 0; b < B; b++) {
        for (let a = 0; a < A; a++) raw[b * A + a] = out[b * 2 * A + A + a];
      }
      tr = applyKernel(tf.tanh, raw);
      // plain loops: a typed array's map calls its closure per element, several times slower
      const logStd = new Float32Array(n);
      for (let k = 0; k < n; k++) logStd[k] = f(loF + f(halfRange * f(tr[k] + 1)));
      std = applyKernel(tf.exp, logStd);
      const u = new Float32Array(n);
      for (let b = 0; b < B; b++) {
        for (let a = 0; a < A; a++) {
          const k = b * A + a;
          u[k] = f(out[b * 2 * A + a] + f(std[k] * noise[k]));
        }
      }
      t = applyKernel(tf.tanh, u);
      const logArg = new Float32Array(n);
      const packed = new Float32Array(B * (A + 1));
      const gaussian = new Float32Array(B);
      for (let b = 0; b < B; b++) {
        let sum = 0;
        for (let a = 0; a < A; a++) {
          const k = b * A + a;
          const tk = t[k];
          packed[b * (A + 1) + a] = tk < -clip ? -clip : tk > clip ? clip : tk;
          const z = f(f(u[k] - out[b * 2 * A + a]) / std[k]);
          sum = f(sum - f(f(f(0.5 * f(z * z)) + logStd[k]) + halfLog2Pi));
          logArg[k] = f(f(1 - f(tk * tk)) + tiny);
        }
        gaussian[b] = sum;
      }
      const logs = applyKernel(tf.log, logArg);
      for (let b = 0; b < B; b++) {
        let correction = 0;
        for (let a = 0; a < A; a++) correction = f(correction + logs[b * A + a]);
        packed[b * (A + 1) + A] = f(f(gaussian[b] - correction) - scaleSum);
      }
      return { outputs: [tf.tensor2d(packed, [B, A + 1])], keep: [] };
    }, ([dyT]) => ({
      out: () => {
        const dy = dyT.dataSync() as Float32Array;
        const grad = new Float32Array(B * 2 * A);
        for (let b = 0; b < B; b++) {
          const dL = dy[b * (A + 1) + A];
          for (let a = 0; a < A; a++) {
            const k = b * A + a;
            const tk = t[k];
            const oneMinusT2 = f(1 - f(tk * tk));
            const dY = Math.abs(tk) <= clip ? dy[b * (A + 1) + a] : 0;
            const dT = f(dY + f(dL * f(f(2 * tk) / f(oneMinusT2 + tiny))));
            const du = f(dT * oneMinusT2);
            const dLogStd = f(f(f(du * noise[k]) * std[k]) - dL);
            grad[b * 2 * A + a] = du;
            grad[b * 2 * A + A + a] = f(dLogStd * f(halfRange * f(1 - f(tr[k] * tr[k]))));
          }
        }
        return tf.tensor2d(grad, [B, 2 * A]);
      },
    }))[0] as tf.Tensor2D;
  };
}

/**
 * KL divergences between diagonal Gaussians, in closed form: REPPO's trust region between the
 * behaviour and the current tanh-Gaussian policy (on the pre-squash latent, where the tanh
 * bijection leaves the KL unchanged), and the one-step denoising kernels of the diffusion
 * policy (DiffWPO's and DiffREPPO's trust region).
 */
import { tf } from "../../core/tensor/mod.ts";

/** `KL(N(m0, e^{2 s0}) || N(m1, e^{2 s1}))` summed over dims, per row: `[batch]`. */
export function gaussianKl(
  mean0: tf.Tensor2D,
  logStd0: tf.Tensor2D,
  mean1: tf.Tensor2D,
  logStd1: tf.Tensor2D,
): tf.Tensor1D {
  const var0 = tf.exp(tf.mul(2, logStd0));
  const var1 = tf.exp(tf.mul(2, logStd1));
  const perDim = tf.add(
    tf.sub(logStd1, logStd0),
    tf.sub(tf.div(tf.add(var0, tf.square(tf.sub(mean0, mean1))), tf.mul(2, var1)), 0.5),
  );
  return tf.sum(perDim, 1) as tf.Tensor1D;
}

/** Mean and eta of a denoising kernel `N(mean, 2 eta)` on a batch: `[batch, actDim]` each. */
export interface Kernel {
  mean: tf.Tensor2D;
  eta: tf.Tensor2D;
}

/** `KL(N(old.mean, 2 old.eta) || N(mean, 2 eta))` per sample, summed over dims. */
export function kernelKl(old: Kernel, kernel: Kernel): tf.Tensor1D {
  const ratio = tf.div(old.eta, kernel.eta);
  const perDim = tf.mul(
    0.5,
    tf.add(
      tf.sub(tf.sub(ratio, tf.log(ratio)), 1),
      tf.div(tf.square(tf.sub(old.mean, kernel.mean)), tf.mul(2, kernel.eta)),
    ),
  );
  return tf.sum(perDim, 1) as tf.Tensor1D;
}

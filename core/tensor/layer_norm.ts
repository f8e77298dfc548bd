/**
 * Layer normalisation (Ba et al. 2016) over the last axis, with a learned scale and offset, as
 * flax's `nnx.LayerNorm` (epsilon 1e-6, scale 1 and offset 0 at start).
 */
import { tf } from "./tf.ts";

/** `(x - mean) / sqrt(var + eps) * gamma + beta` over the last axis of `[batch, width]`. */
export function layerNorm(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps = 1e-6,
): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, gamma), beta) as tf.Tensor2D;
}

/** A layer-norm layer that owns its scale and offset variables. */
export class LayerNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly eps: number;

  /** Scale 1 and offset 0 over `width` features. */
  constructor(width: number, eps = 1e-6) {
    this.gamma = tf.variable(tf.ones([width]));
    this.beta = tf.variable(tf.zeros([width]));
    this.eps = eps;
  }

  /** Normalises `[batch, width]`. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return layerNorm(x, this.gamma as tf.Tensor1D, this.beta as tf.Tensor1D, this.eps);
  }

  /** Scale, then offset. */
  variables(): tf.Variable[] {
    return [this.gamma, this.beta];
  }
}

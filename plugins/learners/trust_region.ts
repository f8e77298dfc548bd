/**
 * The KL trust region shared by WPO and DiffWPO: per sample, when the KL between the policy
 * before the update ("old", held as constant distribution parameters) and the current policy
 * exceeds a bound, that sample's loss is `lambda * KL` instead of its policy-gradient
 * objective, so it stops pushing further and is pulled back. `lambda` is a Lagrange multiplier,
 * log-parameterised and learned by Adam on `-log(lambda) * mean(stop_grad(KL) - bound)`: it
 * grows while the mean KL is above the bound and shrinks while it is below. (The gradient in
 * log lambda is `-(mean KL - bound)`, independent of lambda's size, so a multiplier that grew
 * large comes back down as fast as it went up; `-lambda * gap` would scale its own steps.)
 */
import { Adam, tf } from "../../core/tensor/mod.ts";

/** Trust-region hyper-parameters (both algorithms spread these into their schemas). */
export const TRUST_REGION_SCHEMA = {
  trustRegion: { type: "boolean", default: true, doc: "per-sample KL trust region" },
  klBound: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 0.02,
    doc: "per-sample KL above which a sample's loss becomes lambda * KL",
  },
  klLambdaInit: { type: "number", min: 0, exclusiveMin: true, default: 1, doc: "initial lambda" },
  klLambdaLr: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 1e-3,
    doc: "Adam lr of log lambda",
  },
} as const;

/** log lambda is kept in this range so a long quiet stretch cannot drive it to 0 (or inf). */
export const LOG_LAMBDA_RANGE: readonly [number, number] = [Math.log(1e-4), Math.log(1e4)];

/**
 * Per-sample switch between the objective and the penalty: `kl > bound ? lambda * kl :
 * objective`, averaged over the batch. `violated` is 1 where the penalty was used.
 */
export function trustRegionLoss(
  objective: tf.Tensor1D,
  kl: tf.Tensor1D,
  bound: number,
  lambda: number,
): { loss: tf.Scalar; violated: tf.Tensor1D } {
  // the switch is a constant of the loss, built from the values off the gradient tape
  // (tf.greater has no gradient function)
  const values = kl.dataSync();
  const mask = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) mask[i] = values[i] > bound ? 1 : 0;
  const violated = tf.tensor1d(mask);
  const perSample = tf.add(
    tf.mul(violated, tf.mul(kl, lambda)),
    tf.mul(tf.sub(1, violated), objective),
  );
  return { loss: tf.mean(perSample) as tf.Scalar, violated };
}

/** The multiplier lambda of the KL constraint. */
export class LagrangeMultiplier {
  private readonly logLambda: tf.Variable;
  private readonly optimizer: Adam;

  /** Starts at `init`; Adam at `lr` on log lambda. */
  constructor(options: { init: number; lr: number }) {
    this.logLambda = tf.variable(tf.scalar(Math.log(options.init)));
    this.optimizer = new Adam([this.logLambda], { lr: options.lr });
  }

  /** Current lambda. */
  get value(): number {
    return Math.exp(this.logLambda.dataSync()[0]);
  }

  /**
   * One step on `-log(lambda) * mean(kl - bound)` (kl constant), then log lambda is clipped to
   * {@link LOG_LAMBDA_RANGE}. Returns the loss.
   */
  update(kl: tf.Tensor1D, bound: number): number {
    const gap = tf.tidy(() => tf.sub(tf.mean(kl), bound));
    const loss = this.optimizer.minimize(() => tf.neg(tf.mul(this.logLambda, gap)) as tf.Scalar);
    gap.dispose();
    const [lo, hi] = LOG_LAMBDA_RANGE;
    const v = this.logLambda.dataSync()[0];
    if (v < lo || v > hi) this.logLambda.assign(tf.scalar(Math.min(hi, Math.max(lo, v))));
    return loss;
  }

  /** log lambda and optimiser state. */
  state(): { logLambda: number; optimizer: ReturnType<Adam["state"]> } {
    return { logLambda: this.logLambda.dataSync()[0], optimizer: this.optimizer.state() };
  }

  /** Restores {@link LagrangeMultiplier.state}'s output. */
  load(state: ReturnType<LagrangeMultiplier["state"]>): void {
    this.logLambda.assign(tf.scalar(state.logLambda));
    this.optimizer.load(state.optimizer);
  }

  /** Frees tensors. */
  dispose(): void {
    this.logLambda.dispose();
    this.optimizer.dispose();
  }
}

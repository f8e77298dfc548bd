/**
 * Pieces shared by the soft actor-critic family (SAC, DiffSAC, WPO, DiffWPO): twin Q networks
 * with Polyak-averaged targets, and a temperature learned toward a target entropy.
 */
import {
  type Activation,
  Adam,
  copyVariables,
  exportVariables,
  importVariables,
  Mlp,
  polyakUpdate,
} from "./nn.ts";
import type { Rng } from "./rng.ts";
import { tf } from "./tf.ts";

/** Options of {@link TwinQ}. */
export interface TwinQOptions {
  hidden: readonly number[];
  activation: Activation;
  lr: number;
}

/** Two Q networks over the same input, their targets, and one Adam over both. */
export class TwinQ {
  readonly q1: Mlp;
  readonly q2: Mlp;
  readonly q1Target: Mlp;
  readonly q2Target: Mlp;
  readonly optimizer: Adam;

  /** Builds the networks (`inputs -> hidden -> 1`) and copies them into the targets. */
  constructor(inputs: number, rng: Rng, options: TwinQOptions) {
    const make = () =>
      new Mlp(inputs, 1, rng, { hidden: [...options.hidden], activation: options.activation });
    this.q1 = make();
    this.q2 = make();
    this.q1Target = make();
    this.q2Target = make();
    copyVariables(this.q1Target.variables(), this.q1.variables());
    copyVariables(this.q2Target.variables(), this.q2.variables());
    this.optimizer = new Adam([...this.q1.variables(), ...this.q2.variables()], { lr: options.lr });
  }

  private static value(net: Mlp, input: tf.Tensor2D, weightGrads: boolean): tf.Tensor1D {
    return tf.squeeze(net.apply(input, weightGrads), [1]) as tf.Tensor1D;
  }

  /**
   * `min(Q1, Q2)(input)`; `target` uses the target networks; `weightGrads: false` when only
   * the gradient with respect to the input is wanted (inside an actor loss).
   */
  min(input: tf.Tensor2D, options: { target?: boolean; weightGrads?: boolean } = {}): tf.Tensor1D {
    const [a, b] = options.target ? [this.q1Target, this.q2Target] : [this.q1, this.q2];
    const weightGrads = options.weightGrads ?? true;
    return tf.minimum(
      TwinQ.value(a, input, weightGrads),
      TwinQ.value(b, input, weightGrads),
    ) as tf.Tensor1D;
  }

  /** One Adam step on `mse(Q1, y) + mse(Q2, y)`; returns the loss. */
  fit(input: tf.Tensor2D, target: tf.Tensor1D): number {
    return this.optimizer.minimize(() => {
      const l1 = tf.mean(tf.square(tf.sub(TwinQ.value(this.q1, input, true), target)));
      const l2 = tf.mean(tf.square(tf.sub(TwinQ.value(this.q2, input, true), target)));
      return tf.add(l1, l2) as tf.Scalar;
    });
  }

  /** Polyak-averages the targets toward the online networks. */
  updateTargets(tau: number): void {
    polyakUpdate(this.q1Target.variables(), this.q1.variables(), tau);
    polyakUpdate(this.q2Target.variables(), this.q2.variables(), tau);
  }

  private variables(): tf.Variable[] {
    return [this.q1, this.q2, this.q1Target, this.q2Target].flatMap((n) => n.variables());
  }

  /** Networks and optimiser state. */
  state(): { weights: ReturnType<typeof exportVariables>; optimizer: ReturnType<Adam["state"]> } {
    return {
      weights: exportVariables("critics", this.variables()),
      optimizer: this.optimizer.state(),
    };
  }

  /** Restores {@link TwinQ.state}'s output. */
  load(state: ReturnType<TwinQ["state"]>): void {
    importVariables("critics", this.variables(), state.weights);
    this.optimizer.load(state.optimizer);
  }

  /** Frees tensors. */
  dispose(): void {
    for (const v of this.variables()) v.dispose();
    this.optimizer.dispose();
  }
}

/**
 * The entropy temperature alpha. When learned, `log alpha` follows SAC's loss
 * `mean(-alpha * (log_prob + target_entropy))`, where `log_prob` is the policy's (estimated)
 * log density of its own samples.
 */
export class Temperature {
  readonly learned: boolean;
  readonly targetEntropy: number;
  private readonly logAlpha: tf.Variable;
  private readonly optimizer: Adam;

  /** Starts at `alpha`; learned toward `targetEntropy` with Adam at `lr` when `learned`. */
  constructor(options: { alpha: number; learned: boolean; targetEntropy: number; lr: number }) {
    this.learned = options.learned;
    this.targetEntropy = options.targetEntropy;
    this.logAlpha = tf.variable(tf.scalar(Math.log(Math.max(options.alpha, 1e-12))));
    this.optimizer = new Adam([this.logAlpha], { lr: options.lr });
  }

  /** Current alpha. */
  get value(): number {
    return Math.exp(this.logAlpha.dataSync()[0]);
  }

  /** One step on the temperature loss given per-sample log densities; returns the loss. */
  update(logProb: tf.Tensor1D): number {
    if (!this.learned) return NaN;
    return this.optimizer.minimize(() =>
      tf.mean(
        tf.mul(tf.neg(tf.exp(this.logAlpha)), tf.add(logProb, this.targetEntropy)),
      ) as tf.Scalar
    );
  }

  /** log alpha and optimiser state. */
  state(): { logAlpha: number; optimizer: ReturnType<Adam["state"]> } {
    return { logAlpha: this.logAlpha.dataSync()[0], optimizer: this.optimizer.state() };
  }

  /** Restores {@link Temperature.state}'s output. */
  load(state: ReturnType<Temperature["state"]>): void {
    this.logAlpha.assign(tf.scalar(state.logAlpha));
    this.optimizer.load(state.optimizer);
  }

  /** Frees tensors. */
  dispose(): void {
    this.logAlpha.dispose();
    this.optimizer.dispose();
  }
}

/**
 * Pieces shared by the soft actor-critic family (SAC, DiffSAC, WPO, DiffWPO): twin Q networks
 * with Polyak-averaged targets, and a temperature learned toward a target entropy.
 */
import {
  activate,
  type Activation,
  Adam,
  Mlp,
  type NamedArrays,
  polyakUpdate,
  stackedLinear,
} from "./nn.ts";
import type { Rng } from "./rng.ts";
import { tf } from "./tf.ts";

/** Options of {@link TwinQ}. */
export interface TwinQOptions {
  hidden: readonly number[];
  activation: Activation;
  lr: number;
}

/**
 * Two MLPs of one shape held as one: each layer's weights stacked to `[2, in, out]` (bias
 * `[2, 1, out]`), so a layer of both is one batched matMul and each activation, gradient and
 * optimiser step one kernel for the pair.
 */
class MlpPair {
  /** Per layer: stacked weight, then stacked bias. */
  readonly weights: tf.Variable[];
  readonly biases: tf.Variable[];
  readonly activation: Activation;

  /** Stacks the layers of two MLPs of one shape (their variables are left as they are). */
  constructor(a: Mlp, b: Mlp) {
    this.activation = a.activation;
    this.weights = a.layers.map((l, i) => tf.variable(tf.stack([l.w, b.layers[i].w])));
    this.biases = a.layers.map((l, i) =>
      tf.variable(tf.reshape(tf.stack([l.b, b.layers[i].b]), [2, 1, l.outputs]))
    );
  }

  /**
   * Both networks on one shared `[batch, in]` input: `[2, batch]` (one output each).
   * `weightGrads`/`inputGrad` as {@link stackedLinear}'s, `inputGrad` for the first layer.
   */
  apply(x: tf.Tensor2D, weightGrads: boolean, inputGrad: boolean): tf.Tensor2D {
    let h: tf.Tensor = x;
    const last = this.weights.length - 1;
    for (let i = 0; i <= last; i++) {
      const w = this.weights[i] as tf.Tensor3D;
      const b = this.biases[i] as tf.Tensor3D;
      h = stackedLinear(h, w, b, { weightGrads, inputGrad: i > 0 || inputGrad });
      if (i < last) h = activate(h, this.activation);
    }
    return tf.reshape(h, [2, x.shape[0]]);
  }

  /** Layer by layer: weight, then bias. */
  variables(): tf.Variable[] {
    return this.weights.flatMap((w, i) => [w, this.biases[i]]);
  }

  /** The shape of one network's own copy of stacked variable `i` (weight `[in, out]`, bias `[out]`). */
  static ownShape(stacked: tf.Variable[], i: number): number[] {
    const shape = stacked[i].shape.slice(1);
    return i % 2 === 1 ? shape.slice(1) : shape;
  }

  /**
   * The variables split into the two networks' own arrays, in {@link Mlp.variables}' order
   * (first network's, then the second's), with their unstacked shapes.
   */
  static unstack(
    stacked: tf.Variable[],
    data: Float32Array[],
  ): { shape: number[]; data: Float32Array }[] {
    const halves = [0, 1].map((k) =>
      stacked.map((_, i) => {
        const n = data[i].length / 2;
        return { shape: MlpPair.ownShape(stacked, i), data: data[i].slice(k * n, (k + 1) * n) };
      })
    );
    return [...halves[0], ...halves[1]];
  }

  /** The inverse of {@link MlpPair.unstack}: per stacked variable, both halves joined. */
  static restack(stacked: tf.Variable[], arrays: Float32Array[]): Float32Array[] {
    if (arrays.length !== 2 * stacked.length) {
      throw new Error(`critic state has ${arrays.length} arrays, expected ${2 * stacked.length}`);
    }
    return stacked.map((x, i) => {
      const joined = new Float32Array(x.size);
      const first = arrays[i];
      const second = arrays[stacked.length + i];
      if (first.length !== x.size / 2 || second.length !== x.size / 2) {
        throw new Error(
          `critic state: array ${i} has ${first.length} values, expected ${x.size / 2}`,
        );
      }
      joined.set(first);
      joined.set(second, first.length);
      return joined;
    });
  }
}

/**
 * Two Q networks over the same input, their targets, and one Adam over both. The pair is
 * computed as one (see {@link MlpPair}); checkpoints keep the layout of two separate networks
 * (`critics/i`: Q1's variables, Q2's, Q1 target's, Q2 target's; optimiser moments Q1's then
 * Q2's).
 */
export class TwinQ {
  private readonly online: MlpPair;
  private readonly targets: MlpPair;
  readonly optimizer: Adam;

  /** Builds the networks (`inputs -> hidden -> 1`) and copies them into the targets. */
  constructor(inputs: number, rng: Rng, options: TwinQOptions) {
    // four networks drawn in turn, as when each was its own (the targets' draws are discarded)
    const make = () =>
      new Mlp(inputs, 1, rng, { hidden: [...options.hidden], activation: options.activation });
    const nets = [make(), make(), make(), make()];
    this.online = new MlpPair(nets[0], nets[1]);
    this.targets = new MlpPair(nets[0], nets[1]);
    for (const net of nets) for (const v of net.variables()) v.dispose();
    this.optimizer = new Adam(this.online.variables(), { lr: options.lr });
  }

  /** Q1 and Q2 of `input` as `[2, batch]`. */
  private values(
    input: tf.Tensor2D,
    target: boolean,
    weightGrads: boolean,
    inputGrad: boolean,
  ): tf.Tensor2D {
    return (target ? this.targets : this.online).apply(input, weightGrads, inputGrad);
  }

  /**
   * `min(Q1, Q2)(input)`; `target` uses the target networks; `weightGrads: false` when only
   * the gradient with respect to the input is wanted (inside an actor loss).
   */
  min(input: tf.Tensor2D, options: { target?: boolean; weightGrads?: boolean } = {}): tf.Tensor1D {
    const q = this.values(input, options.target ?? false, options.weightGrads ?? true, true);
    const [a, b] = tf.unstack(q);
    return tf.minimum(a, b) as tf.Tensor1D;
  }

  /** One Adam step on `mse(Q1, y) + mse(Q2, y)`; returns the loss. */
  fit(input: tf.Tensor2D, target: tf.Tensor1D): number {
    return this.optimizer.minimize(() => {
      const q = this.values(input, false, true, false);
      return tf.sum(tf.mean(tf.square(tf.sub(q, target)), 1)) as tf.Scalar;
    });
  }

  /** Polyak-averages the targets toward the online networks. */
  updateTargets(tau: number): void {
    polyakUpdate(this.targets.variables(), this.online.variables(), tau);
  }

  /** Networks and optimiser state. */
  state(): { weights: NamedArrays; optimizer: ReturnType<Adam["state"]> } {
    const weights: NamedArrays = {};
    const arrays = [this.online, this.targets].flatMap((pair) => {
      const vars = pair.variables();
      return MlpPair.unstack(vars, vars.map((v) => v.dataSync() as Float32Array));
    });
    arrays.forEach((a, i) => weights[`critics/${i}`] = a);
    const vars = this.online.variables();
    const opt = this.optimizer.state();
    const split = (moments: Float32Array[]) => MlpPair.unstack(vars, moments).map((a) => a.data);
    return { weights, optimizer: { ...opt, m: split(opt.m), v: split(opt.v) } };
  }

  /** Restores {@link TwinQ.state}'s output. */
  load(state: ReturnType<TwinQ["state"]>): void {
    const pairs = [this.online, this.targets];
    const perPair = 2 * this.online.variables().length;
    pairs.forEach((pair, p) => {
      const vars = pair.variables();
      const arrays = Array.from({ length: perPair }, (_, j) => {
        const name = `critics/${p * perPair + j}`;
        const entry = state.weights[name];
        if (!entry) throw new Error(`weights: missing '${name}'`);
        const expected = MlpPair.ownShape(vars, j % vars.length);
        if (entry.shape.join("x") !== expected.join("x")) {
          throw new Error(`weights: '${name}' has shape [${entry.shape}], expected [${expected}]`);
        }
        return Float32Array.from(entry.data);
      });
      tf.tidy(() =>
        MlpPair.restack(vars, arrays).forEach((data, i) =>
          vars[i].assign(tf.tensor(data, vars[i].shape))
        )
      );
    });
    const vars = this.online.variables();
    const opt = state.optimizer;
    if (opt.m.length !== 2 * vars.length) {
      throw new Error(`optimizer state has ${opt.m.length} slots, expected ${2 * vars.length}`);
    }
    this.optimizer.load({
      ...opt,
      m: MlpPair.restack(vars, opt.m),
      v: MlpPair.restack(vars, opt.v),
    });
  }

  /** Frees tensors. */
  dispose(): void {
    for (const v of [...this.online.variables(), ...this.targets.variables()]) v.dispose();
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

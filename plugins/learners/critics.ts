/**
 * Pieces shared by the soft actor-critic family (SAC, DiffSAC, WPO, DiffWPO): twin Q networks
 * with Polyak-averaged targets, and a temperature learned toward a target entropy.
 */
import type { NamedArrays } from "../../core/serialize.ts";
import {
  type Activation,
  Adam,
  Mlp,
  OUTPUT_DERIVATIVE_ACTIVATIONS,
  polyakUpdate,
  stackedLinear,
  stackedMlp,
} from "../../core/tensor/nn.ts";
import type { Rng } from "../../core/rng.ts";
import { tf } from "../../core/tensor/tf.ts";
import { fusedSacAvailable, fusedSquaredError, fusedTemperatureLoss } from "./fused_sac.ts";

/** Options of {@link TwinQ}. */
export interface TwinQOptions {
  hidden: readonly number[];
  activation: Activation;
  lr: number;
  /**
   * Leading input columns that are observations (the rest the action). When set, the first
   * layer's weight is held as an observation block and an action block, so that
   * {@link TwinQ.minOf} takes observations and actions apart, without a concatenation, with
   * no gradient for the observations, and reusing {@link TwinQ.obsFeatures} for several
   * actions on one batch. Checkpoints are the same either way.
   */
  obsInputs?: number;
}

/**
 * Two MLPs of one shape held as one: each layer's weights stacked to `[2, in, out]` (bias
 * `[2, 1, out]`), so a layer of both is one batched matMul and each activation, gradient and
 * optimiser step one kernel for the pair. With `split` set, the first layer's weight is two
 * variables: its first `split` input rows, then the others.
 */
class MlpPair {
  /** Layer by layer: stacked weight (with `split`, its two row blocks), then stacked bias. */
  private readonly vars: tf.Variable[];
  /** The stacked shapes of the whole layers' weights and biases, layer by layer. */
  readonly shapes: number[][];
  readonly activation: Activation;
  /** Input rows of the first layer's weight held apart (0: none). */
  readonly split: number;

  /** Stacks the layers of two MLPs of one shape (their variables are left as they are). */
  constructor(a: Mlp, b: Mlp, split = 0) {
    this.activation = a.activation;
    this.split = split;
    this.shapes = a.layers.flatMap((l) => [[2, l.inputs, l.outputs], [2, 1, l.outputs]]);
    this.vars = tf.tidy(() => {
      const stacked = a.layers.flatMap((l, i) => [
        tf.stack([l.w, b.layers[i].w]),
        tf.reshape(tf.stack([l.b, b.layers[i].b]), [2, 1, l.outputs]),
      ]);
      if (split > 0) {
        const w0 = stacked.shift()!;
        stacked.unshift(
          tf.slice(w0, [0, 0, 0], [-1, split, -1]),
          tf.slice(w0, [0, split, 0], [-1, -1, -1]),
        );
      }
      return stacked.map((t) => tf.variable(t));
    });
  }

  /** `x @ (first layer's observation block)` for both networks: `[2, batch, hidden]`. */
  obsFeatures(obs: tf.Tensor2D, weightGrads: boolean, inputGrad: boolean): tf.Tensor3D {
    return stackedLinear(obs, this.vars[0] as tf.Tensor3D, null, { weightGrads, inputGrad });
  }

  /**
   * Both networks on one shared `[batch, in]` input: `[2, batch]` (one output each).
   * `weightGrads`/`inputGrad` as {@link stackedMlp}'s.
   */
  apply(x: tf.Tensor2D, weightGrads: boolean, inputGrad: boolean): tf.Tensor2D {
    if (this.split === 0) {
      const h = stackedMlp(x, this.vars, this.activation, { weightGrads, inputGrad });
      return tf.reshape(h, [2, x.shape[0]]);
    }
    const obs = tf.slice(x, [0, 0], [-1, this.split]) as tf.Tensor2D;
    const action = tf.slice(x, [0, this.split], [-1, -1]) as tf.Tensor2D;
    const features = this.obsFeatures(obs, weightGrads, inputGrad);
    return this.applySplit(features, action, weightGrads, inputGrad);
  }

  /**
   * Both networks (with a split first layer) given {@link MlpPair.obsFeatures} of the
   * observations and the `[batch, in - split]` actions: `[2, batch]`.
   */
  applySplit(
    features: tf.Tensor3D,
    action: tf.Tensor2D,
    weightGrads: boolean,
    inputGrad: boolean,
  ): tf.Tensor2D {
    const [, wA, b0] = this.vars as tf.Tensor3D[];
    const rest = this.vars.slice(3);
    // the first hidden layer's activation inside its op where its gradient comes from the
    // output (relu: one pass with the addend on wasm), else at the head of the next op
    const inside = rest.length > 0 && OUTPUT_DERIVATIVE_ACTIVATIONS.includes(this.activation);
    let h: tf.Tensor = stackedLinear(action, wA, b0, {
      weightGrads,
      inputGrad,
      addend: features,
      activation: inside ? this.activation : "linear",
    });
    if (rest.length > 0) {
      h = stackedMlp(h, rest, this.activation, { weightGrads, activateInput: !inside });
    }
    return tf.reshape(h, [2, action.shape[0]]);
  }

  /** The trainable variables: per layer weight (blocks), then bias. */
  variables(): tf.Variable[] {
    return this.vars;
  }

  /** Per-variable arrays (as {@link MlpPair.variables}) in whole layers' stacked layout. */
  joined(data: Float32Array[]): Float32Array[] {
    if (this.split === 0) return data;
    const [, inputs, hidden] = this.shapes[0];
    const [obs, action] = data;
    const out = new Float32Array(2 * inputs * hidden);
    const o = this.split * hidden;
    const a = (inputs - this.split) * hidden;
    for (let k = 0; k < 2; k++) {
      out.set(obs.subarray(k * o, (k + 1) * o), k * (o + a));
      out.set(action.subarray(k * a, (k + 1) * a), k * (o + a) + o);
    }
    return [out, ...data.slice(2)];
  }

  /** The inverse of {@link MlpPair.joined}. */
  parts(data: Float32Array[]): Float32Array[] {
    if (this.split === 0) return data;
    const [, inputs, hidden] = this.shapes[0];
    const o = this.split * hidden;
    const a = (inputs - this.split) * hidden;
    const w = data[0];
    const obs = new Float32Array(2 * o);
    const action = new Float32Array(2 * a);
    for (let k = 0; k < 2; k++) {
      obs.set(w.subarray(k * (o + a), k * (o + a) + o), k * o);
      action.set(w.subarray(k * (o + a) + o, (k + 1) * (o + a)), k * a);
    }
    return [obs, action, ...data.slice(1)];
  }

  /** Assigns per-variable arrays in whole layers' stacked layout. */
  assign(data: Float32Array[]): void {
    tf.tidy(() =>
      this.parts(data).forEach((d, i) => this.vars[i].assign(tf.tensor(d, this.vars[i].shape)))
    );
  }

  /** The shape of one network's own copy of stacked array `i` (weight `[in, out]`, bias `[out]`). */
  static ownShape(shapes: number[][], i: number): number[] {
    const shape = shapes[i].slice(1);
    return i % 2 === 1 ? shape.slice(1) : shape;
  }

  /**
   * Stacked arrays of `shapes` split into the two networks' own arrays, in
   * {@link Mlp.variables}' order (first network's, then the second's), with their unstacked
   * shapes.
   */
  static unstack(
    shapes: number[][],
    data: Float32Array[],
  ): { shape: number[]; data: Float32Array }[] {
    const halves = [0, 1].map((k) =>
      shapes.map((_, i) => {
        const n = data[i].length / 2;
        return { shape: MlpPair.ownShape(shapes, i), data: data[i].slice(k * n, (k + 1) * n) };
      })
    );
    return [...halves[0], ...halves[1]];
  }

  /** The inverse of {@link MlpPair.unstack}: per stacked array, both halves joined. */
  static restack(shapes: number[][], arrays: Float32Array[]): Float32Array[] {
    if (arrays.length !== 2 * shapes.length) {
      throw new Error(`critic state has ${arrays.length} arrays, expected ${2 * shapes.length}`);
    }
    return shapes.map((shape, i) => {
      const size = shape.reduce((p, d) => p * d, 1);
      const joined = new Float32Array(size);
      const first = arrays[i];
      const second = arrays[shapes.length + i];
      if (first.length !== size / 2 || second.length !== size / 2) {
        throw new Error(
          `critic state: array ${i} has ${first.length} values, expected ${size / 2}`,
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
    const split = options.obsInputs ?? 0;
    if (split < 0 || split >= inputs || !Number.isInteger(split)) {
      throw new Error(`TwinQ: obsInputs ${split} is not in [0, ${inputs})`);
    }
    this.online = new MlpPair(nets[0], nets[1], split);
    this.targets = new MlpPair(nets[0], nets[1], split);
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

  /**
   * The online (or `target`) networks' first-layer product of the observations, for
   * {@link TwinQ.minOf} on several actions of one batch; null without `obsInputs`. A constant:
   * no gradient flows through it.
   */
  obsFeatures(obs: tf.Tensor2D, options: { target?: boolean } = {}): tf.Tensor3D | null {
    const pair = options.target ? this.targets : this.online;
    return pair.split === 0 ? null : pair.obsFeatures(obs, false, false);
  }

  /**
   * `min(Q1, Q2)` of observations and actions, `min(tf.concat([obs, action], 1))` without the
   * gradient with respect to `obs` (data), which with `obsInputs` is neither computed nor the
   * concatenation made; `features` are {@link TwinQ.obsFeatures} of `obs` (of the same
   * networks) when already computed. Options as {@link TwinQ.min}'s.
   */
  minOf(
    obs: tf.Tensor2D,
    action: tf.Tensor2D,
    options: { target?: boolean; weightGrads?: boolean; features?: tf.Tensor3D | null } = {},
  ): tf.Tensor1D {
    const target = options.target ?? false;
    const weightGrads = options.weightGrads ?? true;
    const pair = target ? this.targets : this.online;
    if (pair.split === 0) {
      return this.min(tf.concat([obs, action], 1) as tf.Tensor2D, { target, weightGrads });
    }
    const [a, b] = tf.unstack(this.pairOf(obs, action, options));
    return tf.minimum(a, b) as tf.Tensor1D;
  }

  /**
   * Q1 and Q2 of observations and actions as `[2, batch]` (options as {@link TwinQ.minOf}'s).
   */
  pairOf(
    obs: tf.Tensor2D,
    action: tf.Tensor2D,
    options: { target?: boolean; weightGrads?: boolean; features?: tf.Tensor3D | null } = {},
  ): tf.Tensor2D {
    const weightGrads = options.weightGrads ?? true;
    const pair = options.target ? this.targets : this.online;
    if (pair.split === 0) {
      return pair.apply(tf.concat([obs, action], 1) as tf.Tensor2D, weightGrads, true);
    }
    const features = options.features ?? pair.obsFeatures(obs, weightGrads, false);
    return pair.applySplit(features, action, weightGrads, true);
  }

  /**
   * `Q1` alone of observations and actions (TD3's actor loss), as {@link TwinQ.minOf} with the
   * online networks: no gradient with respect to `obs`.
   */
  firstOf(
    obs: tf.Tensor2D,
    action: tf.Tensor2D,
    options: { weightGrads?: boolean } = {},
  ): tf.Tensor1D {
    const weightGrads = options.weightGrads ?? true;
    const pair = this.online;
    const q = pair.split === 0
      ? pair.apply(tf.concat([obs, action], 1) as tf.Tensor2D, weightGrads, true)
      : pair.applySplit(pair.obsFeatures(obs, weightGrads, false), action, weightGrads, true);
    return tf.squeeze(tf.slice(q, [0, 0], [1, -1]), [0]) as tf.Tensor1D;
  }

  /** One Adam step on `mse(Q1, y) + mse(Q2, y)`; returns the loss. */
  fit(input: tf.Tensor2D, target: tf.Tensor1D): number {
    return this.minimizeSquaredError(() => this.values(input, false, true, false), target);
  }

  /**
   * {@link TwinQ.fit} on `tf.concat([obs, action], 1)`, without the concatenation (or the
   * slicing of it) when the networks have `obsInputs`.
   */
  fitOf(obs: tf.Tensor2D, action: tf.Tensor2D, target: tf.Tensor1D): number {
    const pair = this.online;
    if (pair.split === 0) {
      return tf.tidy(() => this.fit(tf.concat([obs, action], 1) as tf.Tensor2D, target));
    }
    return this.minimizeSquaredError(
      () => pair.applySplit(pair.obsFeatures(obs, true, false), action, true, false),
      target,
    );
  }

  private minimizeSquaredError(q: () => tf.Tensor2D, target: tf.Tensor1D): number {
    if (fusedSacAvailable()) {
      // one fused pass forward and backward on wasm (the same bits)
      const values = target.dataSync() as Float32Array;
      return this.optimizer.minimize(() => fusedSquaredError(q(), values));
    }
    return this.optimizer.minimize(() =>
      tf.sum(tf.mean(tf.square(tf.sub(q(), target)), 1)) as tf.Scalar
    );
  }

  /** Polyak-averages the targets toward the online networks. */
  updateTargets(tau: number): void {
    polyakUpdate(this.targets.variables(), this.online.variables(), tau);
  }

  /** Networks and optimiser state. */
  state(): { weights: NamedArrays; optimizer: ReturnType<Adam["state"]> } {
    const weights: NamedArrays = {};
    const shapes = this.online.shapes;
    const arrays = [this.online, this.targets].flatMap((pair) =>
      MlpPair.unstack(
        shapes,
        pair.joined(pair.variables().map((v) => v.dataSync() as Float32Array)),
      )
    );
    arrays.forEach((a, i) => weights[`critics/${i}`] = a);
    const opt = this.optimizer.state();
    const split = (moments: Float32Array[]) =>
      MlpPair.unstack(shapes, this.online.joined(moments)).map((a) => a.data);
    return { weights, optimizer: { ...opt, m: split(opt.m), v: split(opt.v) } };
  }

  /** Restores {@link TwinQ.state}'s output. */
  load(state: ReturnType<TwinQ["state"]>): void {
    const shapes = this.online.shapes;
    const perPair = 2 * shapes.length;
    [this.online, this.targets].forEach((pair, p) => {
      const arrays = Array.from({ length: perPair }, (_, j) => {
        const name = `critics/${p * perPair + j}`;
        const entry = state.weights[name];
        if (!entry) throw new Error(`weights: missing '${name}'`);
        const expected = MlpPair.ownShape(shapes, j % shapes.length);
        if (entry.shape.join("x") !== expected.join("x")) {
          throw new Error(`weights: '${name}' has shape [${entry.shape}], expected [${expected}]`);
        }
        return Float32Array.from(entry.data);
      });
      pair.assign(MlpPair.restack(shapes, arrays));
    });
    const opt = state.optimizer;
    if (opt.m.length !== perPair) {
      throw new Error(`optimizer state has ${opt.m.length} slots, expected ${perPair}`);
    }
    this.optimizer.load({
      ...opt,
      m: this.online.parts(MlpPair.restack(shapes, opt.m)),
      v: this.online.parts(MlpPair.restack(shapes, opt.v)),
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
    if (fusedSacAvailable()) {
      // one fused pass forward and backward on wasm (the same bits)
      const values = logProb.dataSync() as Float32Array;
      return this.optimizer.minimize(() =>
        fusedTemperatureLoss(this.logAlpha, values, this.targetEntropy)
      );
    }
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

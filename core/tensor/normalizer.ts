import type { NamedArrays } from "../serialize.ts";
import { tf } from "./tf.ts";
import type { OnnxGraph } from "./onnx.ts";

/**
 * Running mean and variance over a stream of vectors (Welford / Chan's parallel update), as
 * Gymnasium's NormalizeObservation and NormalizeReward wrappers keep them.
 */
export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count: number;

  /** Starts at mean 0, variance 1, with a tiny pseudo-count like Gymnasium's (1e-4). */
  constructor(readonly size: number, epsilon = 1e-4) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = epsilon;
  }

  /** Adds a batch of `rows` vectors stored row-major in `data`. */
  update(data: ArrayLike<number>, rows: number): void {
    const n = this.size;
    if (rows === 0) return;
    const batchMean = new Float64Array(n);
    const batchVar = new Float64Array(n);
    for (let r = 0; r < rows; r++) {
      for (let d = 0; d < n; d++) batchMean[d] += data[r * n + d];
    }
    for (let d = 0; d < n; d++) batchMean[d] /= rows;
    for (let r = 0; r < rows; r++) {
      for (let d = 0; d < n; d++) {
        const x = data[r * n + d] - batchMean[d];
        batchVar[d] += x * x;
      }
    }
    for (let d = 0; d < n; d++) batchVar[d] /= rows;
    const total = this.count + rows;
    for (let d = 0; d < n; d++) {
      const delta = batchMean[d] - this.mean[d];
      const m2 = this.var[d] * this.count + batchVar[d] * rows +
        delta * delta * this.count * rows / total;
      this.mean[d] += delta * rows / total;
      this.var[d] = m2 / total;
    }
    this.count = total;
  }

  /** Serialisable state. */
  state(): { mean: number[]; var: number[]; count: number } {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  /** Restores {@link RunningMeanStd.state}'s output. */
  load(state: { mean: number[]; var: number[]; count: number }): void {
    if (state.mean.length !== this.size) {
      throw new Error(`normalizer state has size ${state.mean.length}, expected ${this.size}`);
    }
    this.mean.set(state.mean);
    this.var.set(state.var);
    this.count = state.count;
  }
}

/**
 * Observation normaliser applied inside a policy: `clip((x - mean) / sqrt(var + eps), -clip,
 * clip)`. When disabled it is the identity, so policies always call it.
 */
export class ObsNormalizer {
  readonly stats: RunningMeanStd;
  /** Whether statistics are applied (and updated by algorithms that train it). */
  readonly enabled: boolean;
  readonly clip: number;
  readonly epsilon = 1e-8;

  /** Creates a normaliser for vectors of `size`. */
  constructor(size: number, enabled: boolean, clip = 10) {
    this.stats = new RunningMeanStd(size);
    this.enabled = enabled;
    this.clip = clip;
  }

  /** Normalises `rows` vectors into a new array (a copy even when disabled). */
  apply(data: Float32Array, out: Float32Array = new Float32Array(data.length)): Float32Array {
    if (!this.enabled) {
      out.set(data);
      return out;
    }
    const n = this.stats.size;
    const { mean, var: variance } = this.stats;
    for (let i = 0; i < data.length; i++) {
      const d = i % n;
      const z = (data[i] - mean[d]) / Math.sqrt(variance[d] + this.epsilon);
      out[i] = Math.max(-this.clip, Math.min(this.clip, z));
    }
    return out;
  }

  /**
   * The normalised rows of `data` as a `[rows, size]` tensor. When disabled, the tensor is made
   * from `data` itself on the wasm backend, which copies what a tensor is made from (the `cpu`
   * backend keeps a reference, so it gets {@link ObsNormalizer.apply}'s copy).
   */
  tensor(data: Float32Array): tf.Tensor2D {
    const size = this.stats.size;
    const values = this.enabled || tf.getBackend() !== "wasm" ? this.apply(data) : data;
    return tf.tensor2d(values, [data.length / size, size]);
  }

  /** Adds a batch to the statistics (no-op when disabled). */
  update(data: Float32Array, rows: number): void {
    if (this.enabled) this.stats.update(data, rows);
  }

  /** Adds the normalisation to an ONNX graph (identity when disabled). */
  buildOnnx(graph: OnnxGraph, x: string): string {
    if (!this.enabled) return x;
    const n = this.stats.size;
    const std = Array.from(this.stats.var, (v) => Math.sqrt(v + this.epsilon));
    const z = graph.op("Div", [
      graph.op("Sub", [x, graph.constant(this.stats.mean, [n], "obs_mean")]),
      graph.constant(std, [n], "obs_std"),
    ]);
    return graph.op("Clip", [z, graph.scalar(-this.clip), graph.scalar(this.clip)]);
  }

  /** The statistics as named arrays (double precision, so resumed runs see equal values). */
  weights(): NamedArrays {
    const { mean, var: variance, count, size } = this.stats;
    return {
      "obs_norm/mean": { shape: [size], data: mean.slice() },
      "obs_norm/var": { shape: [size], data: variance.slice() },
      "obs_norm/count": { shape: [1], data: new Float64Array([count]) },
    };
  }

  /** Restores {@link ObsNormalizer.weights}'s output; absent entries leave the stats as are. */
  loadWeights(weights: NamedArrays): void {
    const mean = weights["obs_norm/mean"];
    if (!mean) return;
    if (mean.data.length !== this.stats.size) {
      throw new Error(
        `weights: 'obs_norm/mean' has ${mean.data.length} values, expected ${this.stats.size}`,
      );
    }
    this.stats.mean.set(mean.data);
    this.stats.var.set(weights["obs_norm/var"].data);
    this.stats.count = weights["obs_norm/count"].data[0];
  }
}

/**
 * Gymnasium's NormalizeReward: scales rewards by the running std of the discounted return
 * `G <- gamma * G * (1 - terminated) + r`, then clips to [-clip, clip]. One `G` per env copy.
 */
export class ReturnNormalizer {
  readonly stats = new RunningMeanStd(1);
  readonly discounted: Float64Array;

  /** Tracks `numEnvs` discounted returns. */
  constructor(numEnvs: number, readonly gamma: number, readonly clip = 10) {
    this.discounted = new Float64Array(numEnvs);
  }

  /** Updates the statistics with one step's rewards and scales them in place. */
  normalize(reward: Float32Array, terminated: Uint8Array): void {
    const n = reward.length;
    for (let i = 0; i < n; i++) {
      this.discounted[i] = this.discounted[i] * this.gamma * (1 - terminated[i]) + reward[i];
    }
    this.stats.update(this.discounted, n);
    const scale = Math.sqrt(this.stats.var[0] + 1e-8);
    for (let i = 0; i < n; i++) {
      reward[i] = Math.max(-this.clip, Math.min(this.clip, reward[i] / scale));
    }
  }

  /** Serialisable state. */
  state(): { stats: ReturnType<RunningMeanStd["state"]>; discounted: number[] } {
    return { stats: this.stats.state(), discounted: Array.from(this.discounted) };
  }

  /** Restores {@link ReturnNormalizer.state}'s output. */
  load(state: { stats: ReturnType<RunningMeanStd["state"]>; discounted: number[] }): void {
    this.stats.load(state.stats);
    this.discounted.set(state.discounted);
  }
}

/**
 * The tanh-squashed diagonal Gaussian policy of SAC (and this framework's PPO and WPO):
 * `u ~ N(mean(s), std(s)^2)`, env action `= rescale(clip(tanh(u), -0.999, 0.999))`.
 */
import {
  type ActOptions,
  type Box,
  type OnnxExportOptions,
  type Policy,
  type PolicySpec,
  type Rng,
  squashToBox,
  type ValuesOf,
} from "../../core/mod.ts";
import {
  ACTIVATIONS,
  exportPolicyOnnx,
  type Init,
  Mlp,
  ObsNormalizer,
  type OnnxExportable,
  type OnnxGraph,
  tanhLogDet,
  tf,
} from "../../core/tensor/mod.ts";
import { NetworkPolicy } from "./network_policy.ts";
import {
  fusedSquashedSampleOp,
  gaussianLogProb,
  type SquashedSampleOp,
  squashedSampleOp,
} from "./squashed_gaussian.ts";

/** Parameters of the Gaussian policy. */
export const GAUSSIAN_SCHEMA = {
  hidden: {
    type: "number[]",
    integer: true,
    min: 1,
    default: [256, 256],
    minLength: 1,
    doc: "hidden layer sizes",
  },
  activation: { type: "string", values: ACTIVATIONS, default: "relu", doc: "hidden activation" },
  logStd: {
    type: "string",
    values: ["state", "param"],
    default: "state",
    doc: "state: the network outputs the log std (SAC); param: one learned log std per dim (PPO)",
  },
  logStdInit: { type: "number", default: 0, doc: "initial log std when logStd is 'param'" },
  logStdMin: { type: "number", default: -5, doc: "lower clamp of the log std" },
  logStdMax: { type: "number", default: 2, doc: "upper clamp of the log std" },
  init: {
    type: "string",
    values: ["torch", "orthogonal"],
    default: "torch",
    doc: "weight init: PyTorch's default or orthogonal (CleanRL PPO)",
  },
  normalizeObs: {
    type: "boolean",
    default: false,
    doc: "running mean/std observation normalisation inside the policy",
  },
} as const;

/** Validated parameters of {@link GaussianPolicy}. */
export type GaussianParams = ValuesOf<typeof GAUSSIAN_SCHEMA>;

/** A reparameterised sample and its log density. */
export interface GaussianSample {
  /** Pre-squash latent. */
  u: tf.Tensor2D;
  /** `clip(tanh(u))` in [-1, 1]: the action critics see. */
  y: tf.Tensor2D;
  /** log density of y under the squashed policy, including the tanh and Box-scale terms. */
  logProb: tf.Tensor1D;
}

/** Tanh-squashed diagonal Gaussian policy. */
export class GaussianPolicy extends NetworkPolicy implements Policy, OnnxExportable {
  readonly kind = "gaussian";
  readonly obsDim: number;
  readonly actDim: number;
  readonly actionSpace: Box;
  readonly obsNormalizer: ObsNormalizer;
  readonly params: GaussianParams;
  readonly net: Mlp;
  /** Present when `logStd` is "param". */
  readonly logStdParam: tf.Variable | null;
  /** sum over dims of log(half-width of the Box): the Jacobian of rescaling [-1,1] to the Box. */
  private readonly logScaleSum: number;

  /** Builds the networks with weights drawn from `rng`. */
  constructor(spec: PolicySpec, params: GaussianParams, rng: Rng) {
    super();
    this.params = params;
    this.obsDim = spec.observationSpace.low.length;
    this.actDim = spec.actionSpace.low.length;
    this.actionSpace = spec.actionSpace;
    this.obsNormalizer = new ObsNormalizer(this.obsDim, params.normalizeObs);
    const stateStd = params.logStd === "state";
    const orthogonal = params.init === "orthogonal";
    this.net = new Mlp(this.obsDim, stateStd ? 2 * this.actDim : this.actDim, rng, {
      hidden: params.hidden,
      activation: params.activation,
      hiddenInit: orthogonal ? { kind: "orthogonal", gain: Math.SQRT2 } : { kind: "torch" },
      outputInit: orthogonal ? { kind: "orthogonal", gain: 0.01 } : { kind: "torch" } as Init,
    });
    this.logStdParam = stateStd
      ? null
      : tf.variable(tf.fill([1, this.actDim], params.logStdInit) as tf.Tensor2D);
    let s = 0;
    for (let d = 0; d < this.actDim; d++) {
      s += Math.log((spec.actionSpace.high[d] - spec.actionSpace.low[d]) / 2);
    }
    this.logScaleSum = s;
  }

  /** Mean and log std of u for a batch of normalised observations. */
  distribution(obs: tf.Tensor2D): { mean: tf.Tensor2D; logStd: tf.Tensor2D } {
    // the observations are data: no gradient with respect to them
    const out = this.net.apply(obs, true, 0, false);
    if (this.logStdParam) {
      return { mean: out, logStd: tf.mul(tf.onesLike(out), this.logStdParam) as tf.Tensor2D };
    }
    const mean = tf.slice(out, [0, 0], [-1, this.actDim]) as tf.Tensor2D;
    const raw = tf.slice(out, [0, this.actDim], [-1, this.actDim]);
    // CleanRL's squashing of the log std into [min, max] through tanh.
    const { logStdMin: lo, logStdMax: hi } = this.params;
    const logStd = tf.add(lo, tf.mul(0.5 * (hi - lo), tf.add(tf.tanh(raw), 1))) as tf.Tensor2D;
    return { mean, logStd };
  }

  /** Diagonal Gaussian log density of `u` (no squash correction), summed over dims. */
  static gaussianLogProb(u: tf.Tensor, mean: tf.Tensor, logStd: tf.Tensor): tf.Tensor1D {
    return gaussianLogProb(u, mean, logStd);
  }

  /** Reparameterised sample `u = mean + std * noise` with its squashed log density. */
  sample(obs: tf.Tensor2D, noise: tf.Tensor2D): GaussianSample {
    const { mean, logStd } = this.distribution(obs);
    const u = tf.add(mean, tf.mul(tf.exp(logStd), noise)) as tf.Tensor2D;
    const t = tf.tanh(u);
    const y = tf.clipByValue(t, -0.999, 0.999) as tf.Tensor2D;
    const gaussian = GaussianPolicy.gaussianLogProb(u, mean, logStd);
    // log|d action / d u| = sum log(scale * (1 - tanh^2) + 1e-6), as CleanRL's SAC.
    const correction = tanhLogDet(t);
    const logProb = tf.sub(tf.sub(gaussian, correction), this.logScaleSum) as tf.Tensor1D;
    return { u, y, logProb };
  }

  /**
   * {@link GaussianPolicy.sample}'s `y` and `logProb` (the same values) from one custom op with
   * a hand-derived gradient, for the SAC losses: a handful of backward kernels in place of the
   * autodiff chain's fifty, no gradient with respect to `noise` nor `obs`, none through `u`.
   */
  sampleAction(obs: tf.Tensor2D, noise: tf.Tensor2D): { y: tf.Tensor2D; logProb: tf.Tensor1D } {
    if (this.logStdParam) {
      const { y, logProb } = this.sample(obs, noise);
      return { y, logProb };
    }
    const { y, packed } = this.sampleSquashed(obs, noise)!;
    const A = this.actDim;
    return { y, logProb: tf.reshape(tf.slice(packed, [0, A], [-1, 1]), [-1]) as tf.Tensor1D };
  }

  /**
   * {@link GaussianPolicy.sampleAction}'s op output `packed` (`[y, logProb]` as
   * `[batch, actDim + 1]`) and its slice `y`, for a loss that reads the log density from
   * `packed` itself; null for a parameter log std (no such op).
   */
  sampleSquashed(
    obs: tf.Tensor2D,
    noise: tf.Tensor2D,
  ): { y: tf.Tensor2D; packed: tf.Tensor2D } | null {
    if (this.logStdParam) return null;
    const packed = this.squashedSample(this.net.apply(obs, true, 0, false), noise);
    return { y: tf.slice(packed, [0, 0], [-1, this.actDim]) as tf.Tensor2D, packed };
  }

  /**
   * `[y, logProb]` as `[batch, actDim + 1]` from the network's output (mean, then raw log std)
   * and the noise, computed as {@link GaussianPolicy.sample} does, with a hand-derived gradient
   * (see squashed_gaussian.ts): fused passes on wasm, tensor ops elsewhere (the same bits).
   */
  private squashedSample(out: tf.Tensor2D, noise: tf.Tensor2D): tf.Tensor2D {
    const spec = {
      actDim: this.actDim,
      logStdMin: this.params.logStdMin,
      logStdMax: this.params.logStdMax,
      logScaleSum: this.logScaleSum,
    };
    // built once per backend: the fused form exists on wasm only
    const backend = tf.getBackend();
    if (this.squashOps?.backend !== backend) {
      this.squashOps = {
        backend,
        op: fusedSquashedSampleOp(spec) ?? squashedSampleOp(spec),
      };
    }
    return this.squashOps.op(out, noise);
  }
  private squashOps: { backend: string; op: SquashedSampleOp } | null = null;

  /** Normalised observations as a tensor. */
  obsTensor(obs: Float32Array): tf.Tensor2D {
    return this.obsNormalizer.tensor(obs);
  }

  /** Noise slots of the exported stochastic graph: one draw per action dim. */
  readonly noiseSteps = 1;

  /** Env actions for raw observations and given standard-normal noise (null: the mean). */
  actFromNoise(obs: Float32Array, noise: Float32Array | null): Float32Array {
    const batch = obs.length / this.obsDim;
    const u = tf.tidy(() => {
      const { mean, logStd } = this.distribution(this.obsTensor(obs));
      if (!noise) return mean.dataSync() as Float32Array;
      const eps = tf.tensor2d(noise, [batch, this.actDim]);
      return tf.add(mean, tf.mul(tf.exp(logStd), eps)).dataSync() as Float32Array;
    });
    return squashToBox(u, this.actionSpace);
  }

  /** Env actions for raw observations. */
  act(obs: Float32Array, options: ActOptions): Float32Array {
    const noise = options.deterministic
      ? null
      : options.rng.fillNormal(new Float32Array(obs.length / this.obsDim * this.actDim));
    return this.actFromNoise(obs, noise);
  }

  /** The policy as ONNX nodes: normalisation, network, mean (+ std * noise), squash. */
  buildOnnx(graph: OnnxGraph, obs: string, noise: string | null): string {
    const out = this.net.buildOnnx(graph, this.obsNormalizer.buildOnnx(graph, obs));
    const A = this.actDim;
    const mean = this.logStdParam ? out : graph.columns(out, 0, A);
    // a deterministic graph has no std at all (an unused initializer would only add weight)
    if (!noise) return graph.squashToBox(mean, this.actionSpace);
    let logStd: string;
    if (this.logStdParam) {
      logStd = graph.constant(this.logStdParam.dataSync(), [1, A], "log_std");
    } else {
      const { logStdMin: lo, logStdMax: hi } = this.params;
      const t = graph.op("Tanh", [graph.columns(out, A, 2 * A)]);
      logStd = graph.op("Add", [
        graph.op("Mul", [graph.op("Add", [t, graph.scalar(1)]), graph.scalar(0.5 * (hi - lo))]),
        graph.scalar(lo),
      ]);
    }
    const std = graph.op("Exp", [logStd]);
    const u = graph.op("Add", [mean, graph.op("Mul", [std, graph.step(noise, 0)])]);
    return graph.squashToBox(u, this.actionSpace);
  }

  /** The policy as one ONNX model (see {@link Policy.exportOnnx}). */
  exportOnnx(options: OnnxExportOptions): Uint8Array {
    return exportPolicyOnnx(this, options);
  }

  /** Trainable variables. */
  trainableVariables(): tf.Variable[] {
    return this.logStdParam ? [...this.net.variables(), this.logStdParam] : this.net.variables();
  }
}

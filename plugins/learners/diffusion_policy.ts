/**
 * The diffusion policy of "A Diffusion Model Framework for Maximum Entropy RL": a K-step
 * controlled Langevin chain from the prior `a^K ~ N(0, sigma0^2 I)` down to the latent `a^0`,
 * whose squashed value is the env action.
 *
 * Denoising kernel (one Euler-Maruyama step, k = K..1):
 *   q(a^{k-1} | a^k, s) = N(a^k + eta_k (-a^k / sigma0^2 + f(a^k, s, k)), 2 eta_k I)
 * Noising (reference) kernel, no network:
 *   pi(a^k | a^{k-1}) = N(a^{k-1} - eta_k a^{k-1} / sigma0^2, 2 eta_k I)
 * with `eta_k = softplus(p_k) / softplus(w)` (learned step size per k, friction per dim).
 *
 * The only density quantity any loss uses is `l_k = log q(a^{k-1}|a^k,s) - log pi(a^k|a^{k-1})`;
 * `-sum_k l_k` estimates the entropy of `q(a^0|s)` up to the constant `H[p0]`.
 */
import type { NamedArrays } from "../../core/serialize.ts";
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
  activate,
  ACTIVATIONS,
  addSameShape,
  broadcastRows,
  exportPolicyOnnx,
  exportVariables,
  importVariables,
  langevinDensities,
  langevinLogDensity,
  langevinStep,
  linear,
  Mlp,
  noisingMean,
  ObsNormalizer,
  type OnnxExportable,
  type OnnxGraph,
  rowBlocks,
  tf,
  unstackSlots,
} from "../../core/tensor/mod.ts";

/** Parameters of the diffusion policy. */
export const DIFFUSION_SCHEMA = {
  diffusionSteps: { type: "number", integer: true, min: 1, max: 32, default: 8, doc: "K" },
  sigma0: { type: "number", min: 0, exclusiveMin: true, default: 3, doc: "prior std" },
  hidden: {
    type: "number[]",
    integer: true,
    min: 1,
    default: [256, 256, 256, 256],
    minLength: 1,
    doc: "score network hidden layer sizes",
  },
  activation: {
    type: "string",
    values: ACTIVATIONS,
    default: "silu",
    doc: "score network activation",
  },
  timeFeatures: { type: "number", integer: true, min: 1, default: 16, doc: "Fourier pairs" },
  timeHidden: { type: "number", integer: true, min: 1, default: 32, doc: "time-MLP width" },
  dtScale: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 0.125,
    doc: "initial step size dt at k = K (the schedule's largest)",
  },
  scheduleMin: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    max: 1,
    default: 0.17,
    doc: "initial dt grows linearly in k from about scheduleMin * dtScale to dtScale",
  },
  frictionInit: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 0.25,
    doc: "initial per-dimension friction",
  },
  learnFriction: { type: "boolean", default: true, doc: "learn the friction (else fixed)" },
  normalizeObs: {
    type: "boolean",
    default: false,
    doc: "running mean/std observation normalisation inside the policy",
  },
} as const;

/** Validated diffusion-policy parameters. */
export type DiffusionParams = ValuesOf<typeof DIFFUSION_SCHEMA>;

/** `softplus^{-1}(y) = log(exp(y) - 1)`, for initialising softplus-parameterised values. */
export function inverseSoftplus(y: number): number {
  return y > 20 ? y : Math.log(Math.expm1(y));
}

/** Initial step size of diffusion step k (1..K): `dtScale * ((1 - u) * scheduleMin + u)`. */
export function initialDt(k: number, K: number, dtScale: number, scheduleMin: number): number {
  const u = k / K;
  return dtScale * ((1 - u) * scheduleMin + u);
}

/** One denoising step's output. */
export interface DenoiseStep {
  /** a^{k-1}: `[batch, actDim]`. */
  next: tf.Tensor2D;
  /** l_k per sample: `[batch]`. */
  logRatio: tf.Tensor1D;
  /** log q(a^{k-1} | a^k, s) per sample: `[batch]`. */
  logQ: tf.Tensor1D;
}

/** A whole sampled chain. */
export interface ChainSample {
  /** a^K, a^{K-1}, ..., a^0: K + 1 tensors `[batch, actDim]`. */
  latents: tf.Tensor2D[];
  /** l_K, ..., l_1 (in sampling order): K tensors `[batch]`. */
  logRatios: tf.Tensor1D[];
  /** sum_k l_k: `[batch]`. */
  logRatioSum: tf.Tensor1D;
}

/** The rows of a matrix, differentiably (tf.unstack's gradient fails on a single row). */
function rowsOf(x: tf.Tensor2D): tf.Tensor1D[] {
  return x.shape[0] === 1 ? [tf.reshape(x, [-1])] : tf.unstack(x) as tf.Tensor1D[];
}

/** The diffusion policy: controlled Langevin chain with a learned score network. */
export class DiffusionPolicy implements Policy, OnnxExportable {
  readonly kind = "diffusion";
  readonly obsDim: number;
  readonly actDim: number;
  readonly actionSpace: Box;
  readonly obsNormalizer: ObsNormalizer;
  readonly params: DiffusionParams;
  /** K. */
  readonly steps: number;
  readonly sigma0: number;
  /** f(a^k, s, emb(k)) with a zero-initialised output layer. */
  readonly scoreNet: Mlp;
  /** Small MLP over the Fourier features of k. */
  readonly timeNet: Mlp;
  /** softplus^{-1} of the step sizes, index k-1: `[K]`. */
  readonly dtParam: tf.Variable;
  /** softplus^{-1} of the friction per action dim: `[1, actDim]`. */
  readonly frictionParam: tf.Variable;
  /** Fixed Fourier frequencies and phases: `[1, timeFeatures]` each (constants, in weights). */
  fourierFreq: tf.Tensor2D;
  fourierPhase: tf.Tensor2D;

  /** Builds the networks; weights and Fourier features drawn from `rng`. */
  constructor(spec: PolicySpec, params: DiffusionParams, rng: Rng) {
    this.params = params;
    this.obsDim = spec.observationSpace.low.length;
    this.actDim = spec.actionSpace.low.length;
    this.actionSpace = spec.actionSpace;
    this.steps = params.diffusionSteps;
    this.sigma0 = params.sigma0;
    this.obsNormalizer = new ObsNormalizer(this.obsDim, params.normalizeObs);
    const n = params.timeFeatures;
    const freq = new Float32Array(n);
    const phase = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      freq[i] = 2 * Math.PI * rng.normal();
      phase[i] = rng.uniformRange(0, 2 * Math.PI);
    }
    this.fourierFreq = tf.tensor2d(freq, [1, n]);
    this.fourierPhase = tf.tensor2d(phase, [1, n]);
    this.timeNet = new Mlp(2 * n, params.timeHidden, rng, {
      hidden: [params.timeHidden],
      activation: params.activation,
    });
    this.scoreNet = new Mlp(this.actDim + this.obsDim + params.timeHidden, this.actDim, rng, {
      hidden: params.hidden,
      activation: params.activation,
      outputInit: { kind: "uniform", scale: 0 },
    });
    const K = this.steps;
    const dt = new Float32Array(K);
    for (let k = 1; k <= K; k++) {
      dt[k - 1] = inverseSoftplus(initialDt(k, K, params.dtScale, params.scheduleMin));
    }
    this.dtParam = tf.variable(tf.tensor1d(dt));
    this.frictionParam = tf.variable(
      tf.fill([1, this.actDim], inverseSoftplus(params.frictionInit)) as tf.Tensor2D,
      params.learnFriction,
    );
  }

  /** Time embedding of per-sample step indices k (1..K): `[batch, timeHidden]`. */
  timeEmbedding(k: tf.Tensor1D): tf.Tensor2D {
    const t = tf.reshape(tf.div(tf.cast(k, "float32"), this.steps), [-1, 1]);
    const angle = tf.add(tf.matMul(t as tf.Tensor2D, this.fourierFreq), this.fourierPhase);
    const features = tf.concat([tf.sin(angle), tf.cos(angle)], 1);
    return this.timeNet.apply(features);
  }

  /** One-hot rows of per-sample step indices k (1..K): `[batch, K]` float. */
  stepOneHot(k: tf.Tensor1D): tf.Tensor2D {
    // compare against 1..K rather than tf.oneHot, which refuses a depth of 1 (K = 1)
    const steps = tf.reshape(tf.range(1, this.steps + 1, 1, "int32"), [1, -1]);
    return tf.cast(
      tf.equal(tf.reshape(tf.cast(k, "int32"), [-1, 1]), steps),
      "float32",
    ) as tf.Tensor2D;
  }

  /** eta_k per sample and dim: `[batch, actDim]` for per-sample k (1..K). */
  eta(k: tf.Tensor1D): tf.Tensor2D {
    // a one-hot matMul rather than gather: gather's gradient has no wasm kernel
    return tf.matMul(this.stepOneHot(k), this.etaTable());
  }

  /**
   * The score network's first layer split by input block, `[a, s, emb] W_1 = a W_a + s W_s +
   * emb W_e` (differentiable: one split, whose gradient is one concat).
   */
  private firstLayerBlocks(): { wA: tf.Tensor2D; wS: tf.Tensor2D; wE: tf.Tensor2D } {
    const [wA, wS, wE] = rowBlocks(
      this.scoreNet.layers[0].w as tf.Tensor2D,
      [this.actDim, this.obsDim, this.params.timeHidden],
    );
    return { wA, wS, wE };
  }

  /** eta_k for k = 1..K, one row per k: `[K, actDim]`. */
  private etaTable(): tf.Tensor2D {
    const dt = tf.reshape(tf.softplus(this.dtParam), [-1, 1]);
    return tf.div(dt, tf.softplus(this.frictionParam)) as tf.Tensor2D;
  }

  /**
   * The time embedding's contribution to the score network's first layer with its bias,
   * `emb(k) W_e + b_1` for k = 1..K, one row per k (`[K, H]`; `wE` is the first layer's time
   * block): computed for the K steps instead of for every sample.
   */
  private timeOffsets(wE: tf.Tensor2D): tf.Tensor2D {
    const ks = tf.range(1, this.steps + 1, 1, "int32") as tf.Tensor1D;
    return tf.add(linear(this.timeEmbedding(ks), wE, null), this.scoreNet.layers[0].b);
  }

  /**
   * The score network's first-layer pre-activation `h1` at `(a, s, k)` and the step's eta, per
   * sample (`[batch, H]`, `[batch, actDim]`).
   */
  private kernelInputs(obs: tf.Tensor2D, a: tf.Tensor2D, k: tf.Tensor1D): {
    h1: tf.Tensor2D;
    eta: tf.Tensor2D;
  } {
    const { wA, wS, wE } = this.firstLayerBlocks();
    const oneHot = this.stepOneHot(k);
    const h1 = tf.add(
      linear(a, wA, null),
      tf.add(linear(obs, wS, null), tf.matMul(oneHot, this.timeOffsets(wE))),
    ) as tf.Tensor2D;
    return { h1, eta: tf.matMul(oneHot, this.etaTable()) };
  }

  /** Mean of the denoising kernel q(. | a^k, s) and the step's eta. */
  denoiseMean(obs: tf.Tensor2D, a: tf.Tensor2D, k: tf.Tensor1D): {
    mean: tf.Tensor2D;
    eta: tf.Tensor2D;
  } {
    const { h1, eta } = this.kernelInputs(obs, a, k);
    const f = this.score(h1);
    const drift = tf.add(tf.mul(a, -1 / (this.sigma0 * this.sigma0)), f);
    return { mean: tf.add(a, tf.mul(eta, drift)) as tf.Tensor2D, eta };
  }

  /** The score network's output f given its first-layer pre-activation `h1`. */
  private score(h1: tf.Tensor2D): tf.Tensor2D {
    return this.scoreNet.apply(activate(h1, this.scoreNet.activation), true, 1);
  }

  /** log pi(a^k | a^{k-1}) of the noising kernel. */
  logNoising(a: tf.Tensor2D, prev: tf.Tensor2D, eta: tf.Tensor2D): tf.Tensor1D {
    return langevinLogDensity(a, noisingMean(prev, eta, this.sigma0), eta);
  }

  /**
   * log q(a^{k-1} | a^k, s) and l_k for given transitions (normalised obs), per sample.
   * Differentiable in the policy's parameters.
   */
  logDensities(obs: tf.Tensor2D, a: tf.Tensor2D, prev: tf.Tensor2D, k: tf.Tensor1D): {
    logQ: tf.Tensor1D;
    logRatio: tf.Tensor1D;
  } {
    const { h1, eta } = this.kernelInputs(obs, a, k);
    // both log densities: one fused op (core/tensor/fused_chain.ts)
    return langevinDensities(a, this.score(h1), eta, prev, this.sigma0);
  }

  /**
   * One reparameterised denoising step `a^{k-1} = mean + sqrt(2 eta) * noise` from a^k, with
   * its log ratio l_k. Gradients flow through a^{k-1} into the parameters.
   */
  denoise(obs: tf.Tensor2D, a: tf.Tensor2D, k: tf.Tensor1D, noise: tf.Tensor2D): DenoiseStep {
    const { h1, eta } = this.kernelInputs(obs, a, k);
    // the mean, the step and both log densities: one fused op (core/tensor/fused_chain.ts)
    return langevinStep(a, this.score(h1), eta, noise, this.sigma0);
  }

  /**
   * Runs the whole chain on normalised observations. `noise` is `[batch, K + 1, actDim]`
   * standard normal: slot 0 draws the prior `a^K = sigma0 * noise[:, 0]`, slot j the step from
   * k = K - j + 1. Fully reparameterised.
   */
  sampleChain(obs: tf.Tensor2D, noise: tf.Tensor3D): ChainSample {
    const batch = obs.shape[0];
    const K = this.steps;
    const slots = unstackSlots(noise);
    // the same step as denoise(), with what does not change along the chain computed once:
    // the observation's block of the first layer, and the per-k rows (one k for the batch)
    const { wA, wS, wE } = this.firstLayerBlocks();
    const obsPart = linear(obs, wS, null);
    const offsets = rowsOf(this.timeOffsets(wE));
    const etas = rowsOf(this.etaTable());
    let a = tf.mul(slots[0], this.sigma0) as tf.Tensor2D;
    const latents = [a];
    const logRatios: tf.Tensor1D[] = [];
    for (let k = K; k >= 1; k--) {
      const h1 = addSameShape(linear(a, wA, offsets[k - 1]), obsPart) as tf.Tensor2D;
      // eta_k on every row (broadcastTo's gradient is one slice and add per row)
      const eta = broadcastRows(etas[k - 1], batch);
      const step = langevinStep(a, this.score(h1), eta, slots[K - k + 1], this.sigma0);
      a = step.next;
      latents.push(a);
      logRatios.push(step.logRatio);
    }
    return { latents, logRatios, logRatioSum: tf.addN(logRatios) as tf.Tensor1D };
  }

  /** Normalised observations as a tensor. */
  obsTensor(obs: Float32Array): tf.Tensor2D {
    return this.obsNormalizer.tensor(obs);
  }

  /** Standard normal chain noise `[batch, K + 1, actDim]` from `rng` (zeros if null). */
  chainNoise(batch: number, rng: Rng | null): Float32Array {
    const out = new Float32Array(batch * (this.steps + 1) * this.actDim);
    return rng ? rng.fillNormal(out) : out;
  }

  /** Noise slots of the exported stochastic graph: the prior draw and one per step. */
  get noiseSteps(): number {
    return this.steps + 1;
  }

  /** The final latents a^0 for raw observations and chain noise (null: zeros everywhere). */
  latentFromNoise(obs: Float32Array, noise: Float32Array | null): Float32Array {
    const batch = obs.length / this.obsDim;
    const eps = noise ?? this.chainNoise(batch, null);
    return tf.tidy(() => {
      const chain = this.sampleChain(
        this.obsTensor(obs),
        tf.tensor3d(eps, [batch, this.steps + 1, this.actDim]),
      );
      return chain.latents[this.steps].dataSync() as Float32Array;
    });
  }

  /**
   * The final latents a^0 for raw observations; deterministic means zero noise everywhere
   * (prior at its mean, no step noise).
   */
  latent(obs: Float32Array, options: ActOptions): Float32Array {
    const batch = obs.length / this.obsDim;
    return this.latentFromNoise(
      obs,
      options.deterministic ? null : this.chainNoise(batch, options.rng),
    );
  }

  /** Env actions for raw observations and chain noise `[batch, K + 1, actDim]` (null: zeros). */
  actFromNoise(obs: Float32Array, noise: Float32Array | null): Float32Array {
    return squashToBox(this.latentFromNoise(obs, noise), this.actionSpace);
  }

  /** Env actions: `squash(a^0)` rescaled to the action Box. */
  act(obs: Float32Array, options: ActOptions): Float32Array {
    return squashToBox(this.latent(obs, options), this.actionSpace);
  }

  /**
   * The whole unrolled chain as ONNX nodes. Per step k everything that does not depend on
   * the batch is folded into constants: `eta_k`, and the time embedding's contribution to the
   * score network's first layer, `emb(k) W_e + b_1` (the first layer's weight is split by
   * input block: `[a, s, emb] W_1 = a W_a + s W_s + emb W_e`).
   */
  buildOnnx(graph: OnnxGraph, obs: string, noise: string | null): string {
    const A = this.actDim;
    const S = this.obsDim;
    const K = this.steps;
    const first = this.scoreNet.layers[0];
    const H = first.outputs;
    const w1 = first.w.dataSync() as Float32Array;
    const rows = (start: number, count: number) => w1.slice(start * H, (start + count) * H);
    const wA = graph.constant(rows(0, A), [A, H], "w_a");
    const x = this.obsNormalizer.buildOnnx(graph, obs);
    const sPart = graph.op("MatMul", [x, graph.constant(rows(A, S), [S, H], "w_s")]);
    const { emb, eta } = tf.tidy(() => {
      return {
        emb: this.timeOffsets(this.firstLayerBlocks().wE).dataSync() as Float32Array, // [K, H]
        eta: this.etaTable().dataSync() as Float32Array, // [K, A]
      };
    });
    const invVar = 1 / (this.sigma0 * this.sigma0);
    let a = noise
      ? graph.op("Mul", [graph.step(noise, 0), graph.scalar(this.sigma0)])
      : graph.zerosLike(x, S, A);
    for (let k = K; k >= 1; k--) {
      const etaK = eta.slice((k - 1) * A, k * A);
      const h1 = graph.op("Add", [
        graph.op("Add", [graph.op("MatMul", [a, wA]), sPart]),
        graph.constant(emb.slice((k - 1) * H, k * H), [H], `emb_${k}`),
      ]);
      const f = this.scoreNet.buildOnnx(graph, graph.activation(h1, this.scoreNet.activation), 1);
      // mean = a + eta (-a / sigma0^2 + f) = a (1 - eta / sigma0^2) + eta f
      const mean = graph.op("Add", [
        graph.op("Mul", [a, graph.constant(etaK.map((e) => 1 - e * invVar), [A], "decay")]),
        graph.op("Mul", [f, graph.constant(etaK, [A], "eta")]),
      ]);
      a = noise
        ? graph.op("Add", [
          mean,
          graph.op("Mul", [
            graph.step(noise, K - k + 1),
            graph.constant(etaK.map((e) => Math.sqrt(2 * e)), [A], "noise_scale"),
          ]),
        ])
        : mean;
    }
    return graph.squashToBox(a, this.actionSpace);
  }

  /** The policy as one ONNX model (see {@link Policy.exportOnnx}). */
  exportOnnx(options: OnnxExportOptions): Uint8Array {
    return exportPolicyOnnx(this, options);
  }

  /** Trainable variables (friction only when `learnFriction`). */
  trainableVariables(): tf.Variable[] {
    const vars = [...this.scoreNet.variables(), ...this.timeNet.variables(), this.dtParam];
    return this.params.learnFriction ? [...vars, this.frictionParam] : vars;
  }

  /** Weights, fixed Fourier features and normalisation statistics. */
  weights(): NamedArrays {
    const out = exportVariables("policy", [
      ...this.scoreNet.variables(),
      ...this.timeNet.variables(),
      this.dtParam,
      this.frictionParam,
    ]);
    out["fourier/freq"] = {
      shape: this.fourierFreq.shape,
      data: this.fourierFreq.dataSync() as Float32Array,
    };
    out["fourier/phase"] = {
      shape: this.fourierPhase.shape,
      data: this.fourierPhase.dataSync() as Float32Array,
    };
    Object.assign(out, this.obsNormalizer.weights());
    return out;
  }

  /** Restores {@link DiffusionPolicy.weights}'s output. */
  loadWeights(weights: NamedArrays): void {
    // check the constants first, so a bad file changes nothing
    const fourier = (name: string) => {
      const entry = weights[name];
      if (entry?.data.length !== this.params.timeFeatures) {
        throw new Error(`weights: '${name}' is missing or has the wrong size`);
      }
      return Float32Array.from(entry.data);
    };
    const freq = fourier("fourier/freq");
    const phase = fourier("fourier/phase");
    importVariables("policy", [
      ...this.scoreNet.variables(),
      ...this.timeNet.variables(),
      this.dtParam,
      this.frictionParam,
    ], weights);
    this.fourierFreq.dispose();
    this.fourierPhase.dispose();
    this.fourierFreq = tf.tensor2d(freq, [1, this.params.timeFeatures]);
    this.fourierPhase = tf.tensor2d(phase, [1, this.params.timeFeatures]);
    this.obsNormalizer.loadWeights(weights);
  }

  /** Frees tensors. */
  dispose(): void {
    for (const v of [...this.scoreNet.variables(), ...this.timeNet.variables()]) v.dispose();
    this.dtParam.dispose();
    this.frictionParam.dispose();
    this.fourierFreq.dispose();
    this.fourierPhase.dispose();
  }
}

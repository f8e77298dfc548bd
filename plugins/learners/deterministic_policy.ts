/**
 * The deterministic policy of TD3 and DDPG: `a = rescale(tanh(mu(s)))`, after CleanRL's
 * `Actor` in td3_continuous_action.py (two hidden layers, tanh output scaled to the Box).
 * Exploration noise is the algorithm's business: `act` always returns `mu(s)`.
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
  Mlp,
  ObsNormalizer,
  type OnnxExportable,
  type OnnxGraph,
  tf,
} from "../../core/tensor/mod.ts";
import { NetworkPolicy } from "./network_policy.ts";

/** Parameters of the deterministic policy. */
export const DETERMINISTIC_SCHEMA = {
  hidden: {
    type: "number[]",
    integer: true,
    min: 1,
    default: [256, 256],
    minLength: 1,
    doc: "hidden layer sizes",
  },
  activation: { type: "string", values: ACTIVATIONS, default: "relu", doc: "hidden activation" },
} as const;

/** Validated parameters of {@link DeterministicPolicy}. */
export type DeterministicParams = ValuesOf<typeof DETERMINISTIC_SCHEMA>;

/** `a = rescale(tanh(mu(s)))`. */
export class DeterministicPolicy extends NetworkPolicy implements Policy, OnnxExportable {
  readonly kind = "deterministic";
  readonly obsDim: number;
  readonly actDim: number;
  readonly actionSpace: Box;
  readonly obsNormalizer: ObsNormalizer;
  readonly params: DeterministicParams;
  /** mu: observations to pre-tanh actions. */
  readonly net: Mlp;
  /** No noise input: the exported graph is the same with or without `deterministic`. */
  readonly noiseSteps = 0;

  /** Builds the network (PyTorch's default init) with weights drawn from `rng`. */
  constructor(spec: PolicySpec, params: DeterministicParams, rng: Rng) {
    super();
    this.params = params;
    this.obsDim = spec.observationSpace.low.length;
    this.actDim = spec.actionSpace.low.length;
    this.actionSpace = spec.actionSpace;
    // off-policy learners feed raw observations: the normaliser stays the identity
    this.obsNormalizer = new ObsNormalizer(this.obsDim, false);
    this.net = new Mlp(this.obsDim, this.actDim, rng, {
      hidden: params.hidden,
      activation: params.activation,
    });
  }

  /** Normalised observations as a tensor. */
  obsTensor(obs: Float32Array): tf.Tensor2D {
    return this.obsNormalizer.tensor(obs);
  }

  /** `tanh(mu(s))` in [-1, 1], differentiable in the weights (observations are data). */
  action(obs: tf.Tensor2D): tf.Tensor2D {
    return tf.tanh(this.net.apply(obs, true, 0, false)) as tf.Tensor2D;
  }

  /** Env actions for raw observations; the noise, if any, is ignored. */
  actFromNoise(obs: Float32Array, _noise: Float32Array | null): Float32Array {
    const u = tf.tidy(() => this.net.apply(this.obsTensor(obs)).dataSync() as Float32Array);
    return squashToBox(u, this.actionSpace);
  }

  /** Env actions for raw observations (the same whether `deterministic` or not). */
  act(obs: Float32Array, _options: ActOptions): Float32Array {
    return this.actFromNoise(obs, null);
  }

  /** The policy as ONNX nodes: normalisation, network, squash. */
  buildOnnx(graph: OnnxGraph, obs: string, _noise: string | null): string {
    const out = this.net.buildOnnx(graph, this.obsNormalizer.buildOnnx(graph, obs));
    return graph.squashToBox(out, this.actionSpace);
  }

  /** The policy as one ONNX model, always without a noise input. */
  exportOnnx(options: OnnxExportOptions): Uint8Array {
    return exportPolicyOnnx(this, { ...options, deterministic: true });
  }

  /** Trainable variables. */
  trainableVariables(): tf.Variable[] {
    return this.net.variables();
  }
}

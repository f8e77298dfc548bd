/**
 * The policy contract: what the trainer, evaluation and export need of any policy family.
 * Algorithms that need more (log densities, reparameterised samples) use the family's own
 * class from the learner layer.
 */
import type { Variable } from "@tensorflow/tfjs";
import type { Box } from "./spaces.ts";
import type { Rng } from "./rng.ts";
import type { NamedArrays } from "./serialize.ts";

/** What a policy is built for: the env's spaces. */
export interface PolicySpec {
  observationSpace: Box;
  actionSpace: Box;
}

/** Options of {@link Policy.act}. */
export interface ActOptions {
  /** Mode/mean action instead of a sample (evaluation). */
  deterministic: boolean;
  /** Generator for the sampling noise (ignored when deterministic). */
  rng: Rng;
}

/**
 * A policy owns its variables (including any observation normalisation) and maps a batch of raw
 * observations to actions inside the env's action Box. Algorithms that need more (log
 * densities, reparameterised samples) check `kind` and use the policy family's own interface.
 */
export interface Policy {
  /** Policy family, e.g. "gaussian". */
  readonly kind: string;
  readonly obsDim: number;
  readonly actDim: number;
  readonly actionSpace: Box;
  /** Env actions (`batch * actDim`) for raw observations (`batch * obsDim`). */
  act(obs: Float32Array, options: ActOptions): Float32Array;
  /** Trainable variables. */
  trainableVariables(): Variable[];
  /** All parameters (trainable and statistics) as plain arrays. */
  weights(): NamedArrays;
  /** Restores {@link Policy.weights}'s output. */
  loadWeights(weights: NamedArrays): void;
  /**
   * The policy as one ONNX model (it builds its own graph): input `obs [batch, obs_dim]` (raw
   * observations) and, unless deterministic, `noise [batch, noise_steps, act_dim]`; output
   * `action [batch, act_dim]` in the action Box. Absent when the family cannot be exported.
   */
  exportOnnx?(options: OnnxExportOptions): Uint8Array;
  /** Frees tensors. */
  dispose(): void;
}

/** Options of {@link Policy.exportOnnx}. */
export interface OnnxExportOptions {
  /** No noise input: the mean or mode action (a deterministic policy ignores this). */
  deterministic: boolean;
  /** Extra metadata (env id, algorithm, ...). */
  metadata?: Record<string, string>;
}

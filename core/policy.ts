import type { Box } from "./spaces.ts";
import type { Rng } from "./rng.ts";
import type { NamedArrays } from "./nn.ts";
import type { ObsNormalizer } from "./normalizer.ts";
import type { tf } from "./tf.ts";

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
 * A policy owns its variables (including observation normalisation) and maps a batch of raw
 * observations to actions inside the env's action Box. Algorithms that need more (log
 * densities, reparameterised samples) check `kind` and use the policy family's own interface.
 */
export interface Policy {
  /** Policy family, e.g. "gaussian". */
  readonly kind: string;
  readonly obsDim: number;
  readonly actDim: number;
  readonly actionSpace: Box;
  /** Normalisation of raw observations, applied before the networks. */
  readonly obsNormalizer: ObsNormalizer;
  /** Env actions (`batch * actDim`) for raw observations (`batch * obsDim`). */
  act(obs: Float32Array, options: ActOptions): Float32Array;
  /** Trainable variables. */
  trainableVariables(): tf.Variable[];
  /** All parameters (trainable and statistics) as plain arrays. */
  weights(): NamedArrays;
  /** Restores {@link Policy.weights}'s output. */
  loadWeights(weights: NamedArrays): void;
  /** Frees tensors. */
  dispose(): void;
}

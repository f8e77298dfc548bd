/**
 * What a policy made of networks and an observation normaliser does the same way whatever its
 * family: its weights as named arrays (`policy/i` for the trainable variables in order, then the
 * normaliser's statistics), their restore, and freeing them.
 */
import type { NamedArrays } from "../../core/serialize.ts";
import {
  exportVariables,
  importVariables,
  type ObsNormalizer,
  type tf,
} from "../../core/tensor/mod.ts";

/** The weights, restore and dispose of a policy of networks; see the module comment. */
export abstract class NetworkPolicy {
  /** Normalisation of raw observations, applied before the networks. */
  abstract readonly obsNormalizer: ObsNormalizer;

  /** Trainable variables, in checkpoint order. */
  abstract trainableVariables(): tf.Variable[];

  /** Weights and normalisation statistics. */
  weights(): NamedArrays {
    return {
      ...exportVariables("policy", this.trainableVariables()),
      ...this.obsNormalizer.weights(),
    };
  }

  /** Restores {@link NetworkPolicy.weights}'s output. */
  loadWeights(weights: NamedArrays): void {
    importVariables("policy", this.trainableVariables(), weights);
    this.obsNormalizer.loadWeights(weights);
  }

  /** Frees tensors. */
  dispose(): void {
    for (const v of this.trainableVariables()) v.dispose();
  }
}

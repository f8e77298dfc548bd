/**
 * REPPO's critic (`CategoricalCriticNetwork` of the REPPO code, Voelcker et al. 2025): an
 * HL-Gauss categorical Q with LayerNorm and SiLU (swish), and the auxiliary heads.
 *
 *   encoder:  x -> Linear -> LayerNorm -> silu -> Linear                 (features, width H)
 *   Q head:   silu -> Linear -> LayerNorm -> silu -> Linear(bins)        (logits)
 *   aux head: silu -> Linear -> LayerNorm -> silu -> Linear(1 + H)       (reward, next features)
 *
 * Loss per sample: `CE(logits, hlGauss(target)) + auxMult * mean(mask * (pred - [r, f'])^2)`,
 * with f' the encoder's features of the next state and the policy's action there (computed
 * during the rollout), the mask zero where the auxiliary target is invalid. One Adam with
 * global gradient-norm clipping.
 */
import type { NamedArrays } from "../../core/serialize.ts";
import type { Rng } from "../../core/mod.ts";
import {
  activate,
  Adam,
  Dense,
  disposeVariables,
  exportVariables,
  importVariables,
  LayerNorm,
  tf,
} from "../../core/tensor/mod.ts";
import {
  binCenters,
  type HlGaussSupport,
  hlGaussTargets,
  hlGaussValue,
  softmaxCrossEntropy,
} from "./hl_gauss.ts";

/** Options of {@link CategoricalCritic}. */
export interface CategoricalCriticOptions extends HlGaussSupport {
  /** H: width of every layer and of the features. */
  hidden: number;
  lr: number;
  maxGradNorm?: number;
}

/** What one critic update fits. */
export interface CategoricalCriticBatch {
  /** Critic inputs `[batch, inputs]`. */
  input: tf.Tensor2D;
  /** Scalar targets `[batch]` (encoded by HL-Gauss here). */
  target: Float32Array;
  /** Reward targets of the aux head `[batch]`. */
  reward: tf.Tensor1D;
  /** Next-features targets of the aux head `[batch, H]`. */
  nextFeatures: tf.Tensor2D;
  /** 1 where the aux targets are valid, else 0: `[batch]`. */
  auxMask: tf.Tensor1D;
}

/** A LayerNorm block: Linear -> LayerNorm -> silu. */
class NormedLayer {
  readonly dense: Dense;
  readonly norm: LayerNorm;
  constructor(inputs: number, outputs: number, rng: Rng) {
    this.dense = new Dense(inputs, outputs, rng);
    this.norm = new LayerNorm(outputs);
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return activate(this.norm.apply(this.dense.apply(x)), "silu") as tf.Tensor2D;
  }
  variables(): tf.Variable[] {
    return [...this.dense.variables(), ...this.norm.variables()];
  }
}

/** HL-Gauss Q network with LayerNorm and the REPPO auxiliary heads. */
export class CategoricalCritic {
  readonly support: HlGaussSupport;
  readonly hidden: number;
  readonly optimizer: Adam;
  private readonly centers: tf.Tensor1D;
  private readonly encoder: [NormedLayer, Dense];
  private readonly head: [NormedLayer, Dense];
  private readonly aux: [NormedLayer, Dense];

  /** Builds the layers (weights from `rng`: encoder, Q head, aux head) and Adam. */
  constructor(inputs: number, rng: Rng, options: CategoricalCriticOptions) {
    const H = options.hidden;
    this.support = { bins: options.bins, vmin: options.vmin, vmax: options.vmax };
    this.hidden = H;
    this.centers = tf.tensor1d(binCenters(this.support));
    this.encoder = [new NormedLayer(inputs, H, rng), new Dense(H, H, rng)];
    this.head = [new NormedLayer(H, H, rng), new Dense(H, options.bins, rng)];
    this.aux = [new NormedLayer(H, H, rng), new Dense(H, H + 1, rng)];
    this.optimizer = new Adam(this.variables(), {
      lr: options.lr,
      maxGradNorm: options.maxGradNorm,
    });
  }

  /** The encoder's features `[batch, H]`. */
  features(x: tf.Tensor2D): tf.Tensor2D {
    return this.encoder[1].apply(this.encoder[0].apply(x));
  }

  /** Q logits from features `[batch, bins]`. */
  logits(features: tf.Tensor2D): tf.Tensor2D {
    const h = this.head[0].apply(activate(features, "silu") as tf.Tensor2D);
    return this.head[1].apply(h);
  }

  /** The aux head: `[batch, 1 + H]` (predicted reward, then predicted next features). */
  predict(features: tf.Tensor2D): tf.Tensor2D {
    const h = this.aux[0].apply(activate(features, "silu") as tf.Tensor2D);
    return this.aux[1].apply(h);
  }

  /** Q(x): the expectation of the bin centres, differentiable in x: `[batch]`. */
  value(x: tf.Tensor2D): tf.Tensor1D {
    return hlGaussValue(this.logits(this.features(x)), this.centers);
  }

  /** Q and the features at x (no gradient use), as arrays. */
  evaluate(x: tf.Tensor2D): { value: Float32Array; features: Float32Array } {
    return tf.tidy(() => {
      const f = this.features(x);
      return {
        value: hlGaussValue(this.logits(f), this.centers).dataSync() as Float32Array,
        features: f.dataSync() as Float32Array,
      };
    });
  }

  /** The loss of one batch (see the module comment) with its parts, per-batch means. */
  loss(batch: CategoricalCriticBatch, auxMult: number): {
    loss: tf.Scalar;
    ce: tf.Scalar;
    aux: tf.Scalar;
  } {
    const B = batch.input.shape[0];
    const targets = tf.tensor2d(hlGaussTargets(batch.target, this.support), [
      B,
      this.support.bins,
    ]);
    const f = this.features(batch.input);
    const ce = softmaxCrossEntropy(this.logits(f), targets);
    const wanted = tf.concat([tf.reshape(batch.reward, [-1, 1]), batch.nextFeatures], 1);
    const sq = tf.mean(tf.square(tf.sub(this.predict(f), wanted)), 1);
    const aux = tf.mul(batch.auxMask, sq);
    return {
      loss: tf.mean(tf.add(ce, tf.mul(auxMult, aux))) as tf.Scalar,
      ce: tf.mean(ce) as tf.Scalar,
      aux: tf.mean(aux) as tf.Scalar,
    };
  }

  /** One Adam step on {@link CategoricalCritic.loss}; returns its parts. */
  fit(batch: CategoricalCriticBatch, auxMult: number): { loss: number; ce: number; aux: number } {
    let parts: number[] = [];
    const loss = this.optimizer.minimize(() => {
      const out = this.loss(batch, auxMult);
      parts = [out.ce.dataSync()[0], out.aux.dataSync()[0]];
      return out.loss;
    });
    return { loss, ce: parts[0], aux: parts[1] };
  }

  /** Every variable: encoder, Q head, aux head. */
  variables(): tf.Variable[] {
    return [...this.encoder, ...this.head, ...this.aux].flatMap((l) => l.variables());
  }

  /** Weights and optimiser state. */
  state(): { weights: NamedArrays; optimizer: ReturnType<Adam["state"]> } {
    return {
      weights: exportVariables("critic", this.variables()),
      optimizer: this.optimizer.state(),
    };
  }

  /** Restores {@link CategoricalCritic.state}'s output. */
  load(state: ReturnType<CategoricalCritic["state"]>): void {
    importVariables("critic", this.variables(), state.weights);
    this.optimizer.load(state.optimizer);
  }

  /** Frees tensors. */
  dispose(): void {
    disposeVariables(this.variables());
    this.optimizer.dispose();
    this.centers.dispose();
  }
}

/**
 * The PPO update shared by PPO and DiffPPO: shuffled minibatch epochs over a rollout, the
 * clipped surrogate, the (optionally clipped) value loss, advantage normalisation, KL early
 * stopping and the usual diagnostics. An algorithm supplies only how to compute the new log
 * likelihood ratio, the value, and any advantage correction for a minibatch.
 */
import type { Rng, ValuesOf } from "../../core/mod.ts";
import { ACTIVATIONS, type Adam, tf } from "../../core/tensor/mod.ts";

/** PPO hyper-parameters (CleanRL defaults). */
export const PPO_SCHEMA = {
  lr: { type: "number", min: 0, exclusiveMin: true, default: 3e-4, doc: "Adam learning rate" },
  annealLr: {
    type: "boolean",
    default: true,
    doc: "anneal the learning rate linearly to 0 over the run",
  },
  numSteps: { type: "number", integer: true, min: 1, default: 2048, doc: "steps per env" },
  gamma: { type: "number", min: 0, max: 1, default: 0.99, doc: "discount" },
  gaeLambda: { type: "number", min: 0, max: 1, default: 0.95, doc: "GAE lambda" },
  numMinibatches: {
    type: "number",
    integer: true,
    min: 1,
    default: 32,
    doc: "minibatches per epoch",
  },
  updateEpochs: {
    type: "number",
    integer: true,
    min: 1,
    default: 10,
    doc: "passes over each rollout",
  },
  normAdv: { type: "boolean", default: true, doc: "normalise advantages per minibatch" },
  clipCoef: { type: "number", min: 0, exclusiveMin: true, default: 0.2, doc: "ratio clip epsilon" },
  clipVloss: { type: "boolean", default: true, doc: "clip the value loss like the ratio" },
  entCoef: { type: "number", min: 0, default: 0, doc: "entropy bonus weight" },
  vfCoef: { type: "number", min: 0, default: 0.5, doc: "value loss weight" },
  maxGradNorm: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 0.5,
    doc: "global gradient norm clip",
  },
  targetKl: { type: "number", min: 0, default: 0, doc: "early-stop KL; 0 disables" },
  normalizeReward: {
    type: "boolean",
    default: true,
    doc: "scale rewards by a running std of the discounted return",
  },
  criticHidden: {
    type: "number[]",
    integer: true,
    min: 1,
    default: [64, 64],
    minLength: 1,
    doc: "value network hidden layer sizes",
  },
  criticActivation: {
    type: "string",
    values: ACTIVATIONS,
    default: "tanh",
    doc: "value network activation",
  },
} as const;

/**
 * What extending a PPO-family run does to its learning-rate schedule (see
 * `AlgorithmDefinition.extensionNote`).
 */
export function annealExtensionNote(params: { annealLr: boolean }): string | null {
  return params.annealLr
    ? "annealLr: the learning rate follows lr * (1 - steps / budget) for the NEW budget, so it " +
      "rises from where the old schedule had brought it; a run started with the larger budget " +
      "would have annealed more slowly all along"
    : null;
}

/** Validated PPO parameters. */
export type PpoParams = ValuesOf<typeof PPO_SCHEMA>;

/**
 * Rollout fields by name: data (row-major) and floats per row. `scalar` fields become 1-D
 * tensors `[batch]`, the others 2-D `[batch, width]` (even with width 1).
 */
export type RolloutFields = Record<
  string,
  { data: Float32Array; width: number; scalar?: boolean }
>;

/** What the algorithm computes for one minibatch (inside the gradient tape). */
export interface MinibatchTerms {
  /** log pi_new - log pi_old per sample. */
  logRatio: tf.Tensor1D;
  /** V of the minibatch's states. */
  value: tf.Tensor1D;
  /** Extra loss added to the total (e.g. minus an entropy bonus); optional. */
  extraLoss?: tf.Scalar;
  /** Scalars to average over minibatches into the returned metrics (e.g. entropy). */
  diagnostics?: Record<string, tf.Scalar>;
}

/** Options of {@link ppoEpochs}. */
export interface PpoEpochOptions {
  epochs: number;
  numMinibatches: number;
  clipCoef: number;
  clipVloss: boolean;
  vfCoef: number;
  normAdv: boolean;
  /** Stop the epochs once a minibatch's approx KL exceeds this; 0 disables. */
  targetKl: number;
}

/** {@link PpoEpochOptions} from `PPO_SCHEMA`'s parameters. */
export function ppoEpochOptions(
  params: Pick<
    PpoParams,
    "updateEpochs" | "numMinibatches" | "clipCoef" | "clipVloss" | "vfCoef" | "normAdv" | "targetKl"
  >,
): PpoEpochOptions {
  return {
    epochs: params.updateEpochs,
    numMinibatches: params.numMinibatches,
    clipCoef: params.clipCoef,
    clipVloss: params.clipVloss,
    vfCoef: params.vfCoef,
    normAdv: params.normAdv,
    targetKl: params.targetKl,
  };
}

/** Rows `idx` of a row-major array. */
export function gatherRows(src: Float32Array, width: number, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * width);
  for (let j = 0; j < idx.length; j++) {
    out.set(src.subarray(idx[j] * width, (idx[j] + 1) * width), j * width);
  }
  return out;
}

/** `1 - Var(returns - values) / Var(returns)`: how much of the return the critic explains. */
export function explainedVariance(returns: Float32Array, values: Float32Array): number {
  let mean = 0;
  for (const r of returns) mean += r;
  mean /= returns.length;
  let varY = 0;
  let varRes = 0;
  for (let i = 0; i < returns.length; i++) {
    varY += (returns[i] - mean) ** 2;
    varRes += (returns[i] - values[i]) ** 2;
  }
  return varY > 0 ? 1 - varRes / varY : NaN;
}

/**
 * A minibatch's advantages as the loss uses them: normalised to zero mean and unit standard
 * deviation (`(a - mean) / (std + 1e-8)`, population variance) when `normalize`, computed as
 * the tensor form (`tf.moments`, then `tf.sub`, `tf.sqrt`, `tf.add`, `tf.div`) does on the wasm
 * backend: float32 operations, sums accumulated in order.
 */
export function advantagesOf(a: Float32Array, normalize: boolean): Float32Array {
  if (!normalize) return a;
  const f = Math.fround;
  const n = a.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum = f(sum + a[i]);
  const mean = f(sum / n);
  let squares = 0;
  for (let i = 0; i < n; i++) squares = f(squares + f(f(a[i] - mean) * f(a[i] - mean)));
  const denominator = f(f(Math.sqrt(f(squares / n))) + f(1e-8));
  return a.map((x) => f(f(x - mean) / denominator));
}

/** The PPO loss's options. */
export type PpoLossOptions = Pick<PpoEpochOptions, "clipCoef" | "clipVloss" | "vfCoef">;

/** One minibatch's statistics: the loss terms, then the algorithm's diagnostics by name. */
export interface MinibatchStats {
  pg_loss: number;
  value_loss: number;
  approx_kl: number;
  clipfrac: number;
  [diagnostic: string]: number;
}

/**
 * The clipped surrogate `pgLoss`, the (optionally clipped) value loss `vLoss` and
 * `loss = pgLoss + vfCoef vLoss` from the log likelihood ratios and values of a minibatch,
 * with the approximate KL and the clip fraction (off the gradient path).
 */
export function ppoLoss(
  logRatio: tf.Tensor1D,
  value: tf.Tensor1D,
  data: { advantages: tf.Tensor; returns: tf.Tensor; values: tf.Tensor },
  options: PpoLossOptions,
): { loss: tf.Scalar; pgLoss: tf.Scalar; vLoss: tf.Scalar; kl: tf.Scalar; clipfrac: tf.Scalar } {
  const { advantages: adv, returns: ret, values: oldValue } = data;
  const ratio = tf.exp(logRatio);
  const clipped = tf.clipByValue(ratio, 1 - options.clipCoef, 1 + options.clipCoef);
  const pgLoss = tf.mean(tf.maximum(tf.mul(tf.neg(adv), ratio), tf.mul(tf.neg(adv), clipped)));
  let vLoss: tf.Tensor;
  if (options.clipVloss) {
    const vClipped = tf.add(
      oldValue,
      tf.clipByValue(tf.sub(value, oldValue), -options.clipCoef, options.clipCoef),
    );
    vLoss = tf.mul(
      0.5,
      tf.mean(tf.maximum(tf.square(tf.sub(value, ret)), tf.square(tf.sub(vClipped, ret)))),
    );
  } else {
    vLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(value, ret))));
  }
  const kl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio));
  const clipfrac = tf.mean(
    tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), options.clipCoef), "float32"),
  );
  const loss = tf.add(pgLoss, tf.mul(options.vfCoef, vLoss));
  return {
    loss: loss as tf.Scalar,
    pgLoss: pgLoss as tf.Scalar,
    vLoss: vLoss as tf.Scalar,
    kl: kl as tf.Scalar,
    clipfrac: clipfrac as tf.Scalar,
  };
}

/**
 * Runs PPO's epochs. `fields` must hold scalar `advantages`, `returns` and `values` besides
 * what `terms` reads; `terms(batch, advantages)` gets the minibatch tensors by field name and
 * may return corrected advantages through `correctAdvantages` before normalisation.
 */
export function ppoEpochs(
  fields: RolloutFields,
  options: PpoEpochOptions,
  context: {
    optimizer: Adam;
    rng: Rng;
    terms: (batch: Record<string, tf.Tensor>) => MinibatchTerms;
    /** Stop-gradient advantage correction computed before the step (DiffPPO's entropy term). */
    correctAdvantages?: (batch: Record<string, tf.Tensor>, advantages: tf.Tensor1D) => tf.Tensor1D;
    /**
     * The whole minibatch loss as one fused op (with the statistics of its forward pass), in
     * place of `terms` and {@link ppoLoss}, given the minibatch's advantages as the loss uses
     * them (given only where it runs, and with the tensor form's bits there). With it (and no
     * `correctAdvantages`), the advantages are normalised by {@link advantagesOf}.
     */
    fusedLoss?: (
      batch: Record<string, tf.Tensor>,
      advantages: Float32Array,
    ) => { loss: tf.Scalar; stats: MinibatchStats };
  },
): Record<string, number> {
  const total = fields.returns.data.length;
  const mbSize = Math.max(1, Math.floor(total / options.numMinibatches));
  const index = new Int32Array(total).map((_, i) => i);
  const sums = { pg: 0, v: 0, kl: 0, clipfrac: 0 };
  const extra: Record<string, number> = {};
  let count = 0;
  let stop = false;
  for (let epoch = 0; epoch < options.epochs && !stop; epoch++) {
    for (let i = total - 1; i > 0; i--) {
      const j = context.rng.int(i + 1);
      [index[i], index[j]] = [index[j], index[i]];
    }
    for (let start = 0; start + mbSize <= total && !stop; start += mbSize) {
      const idx = index.subarray(start, start + mbSize);
      const batch: Record<string, tf.Tensor> = {};
      for (const [name, { data, width, scalar }] of Object.entries(fields)) {
        const rows = gatherRows(data, width, idx);
        batch[name] = scalar ? tf.tensor1d(rows) : tf.tensor2d(rows, [idx.length, width]);
      }
      // with the fused loss, the advantages stay arrays (normalised in one pass, same bits)
      const fusedAdvantages = context.fusedLoss && !context.correctAdvantages
        ? advantagesOf(gatherRows(fields.advantages.data, 1, idx), options.normAdv)
        : null;
      const adv = fusedAdvantages ? null : tf.tidy(() => {
        let a = batch.advantages as tf.Tensor1D;
        if (context.correctAdvantages) a = context.correctAdvantages(batch, a);
        if (!options.normAdv) return a;
        const { mean, variance } = tf.moments(a);
        return tf.div(tf.sub(a, mean), tf.add(tf.sqrt(variance), 1e-8)) as tf.Tensor1D;
      });
      let stats: MinibatchStats | undefined;
      let kept: { terms: tf.Tensor[]; diagnostics: [string, tf.Tensor][] } | undefined;
      context.optimizer.minimize(() => {
        if (context.fusedLoss) {
          const advantages = fusedAdvantages ?? (adv!.dataSync() as Float32Array);
          const fused = context.fusedLoss(batch, advantages);
          stats = fused.stats; // filled by the forward pass
          return fused.loss;
        }
        const { logRatio, value, extraLoss, diagnostics } = context.terms(batch);
        const terms = ppoLoss(logRatio, value, {
          advantages: adv!,
          returns: batch.returns,
          values: batch.values,
        }, options);
        kept = {
          terms: [terms.pgLoss, terms.vLoss, terms.kl, terms.clipfrac].map((t) => tf.keep(t)),
          diagnostics: Object.entries(diagnostics ?? {}).map(([name, t]) => [name, tf.keep(t)]),
        };
        return (extraLoss ? tf.add(terms.loss, extraLoss) : terms.loss) as tf.Scalar;
      });
      if (kept) {
        const [pg_loss, value_loss, approx_kl, clipfrac] = kept.terms.map((t) => t.dataSync()[0]);
        const diagnostics = kept.diagnostics.map(([name, t]) => [name, t.dataSync()[0]]);
        stats = { pg_loss, value_loss, approx_kl, clipfrac, ...Object.fromEntries(diagnostics) };
        tf.dispose([...kept.terms, ...kept.diagnostics.map(([, t]) => t)]);
      }
      const { pg_loss, value_loss, approx_kl: kl, clipfrac, ...diagnostics } = stats!;
      sums.pg += pg_loss;
      sums.v += value_loss;
      sums.kl += kl;
      sums.clipfrac += clipfrac;
      for (const [name, x] of Object.entries(diagnostics)) extra[name] = (extra[name] ?? 0) + x;
      count++;
      tf.dispose([...(adv ? [adv] : []), ...Object.values(batch)]);
      if (options.targetKl > 0 && kl > options.targetKl) stop = true;
    }
  }
  return {
    pg_loss: sums.pg / count,
    value_loss: sums.v / count,
    approx_kl: sums.kl / count,
    clipfrac: sums.clipfrac / count,
    explained_variance: explainedVariance(fields.returns.data, fields.values.data),
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, v / count])),
  };
}

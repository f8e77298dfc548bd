/**
 * What REPPO and DiffREPPO share (Voelcker et al., "Relative Entropy Pathwise Policy
 * Optimization", arXiv 2507.11019; the REPPO code's `src/jaxrl/reppo.py` and the DA-MDP
 * version's `src/jaxrl/DA_MDP_REPPO.py`): the hyper-parameters, the soft TD(lambda) targets on
 * a fresh rollout, and the learner parts kept besides the policy (the HL-Gauss critic, the
 * actor's Adam, the learned temperature, the KL multiplier, the reward normaliser) with their
 * checkpoint state.
 */
import type { AlgorithmContext, Metrics, Rng, RngState, ValuesOf } from "../../core/mod.ts";
import { Adam, ReturnNormalizer, tf } from "../../core/tensor/mod.ts";
import { meanOf, minimizeKeeping } from "./off_policy.ts";
import { CategoricalCritic, type CategoricalCriticBatch } from "./categorical_critic.ts";
import { Temperature } from "./critics.ts";
import { LagrangeMultiplier } from "./trust_region.ts";

/**
 * REPPO's hyper-parameters; defaults are the REPPO code's `config/reppo.yaml` except the batch
 * sizes, which are a CPU's (the code runs 1024 envs x 128 steps, 128 minibatches, on a GPU).
 */
export const REPPO_SCHEMA = {
  numSteps: { type: "number", integer: true, min: 1, default: 128, doc: "steps per env" },
  numMinibatches: {
    type: "number",
    integer: true,
    min: 1,
    default: 16,
    doc: "minibatches per epoch over the rollout",
  },
  updateEpochs: {
    type: "number",
    integer: true,
    min: 1,
    default: 4,
    doc: "passes over each rollout",
  },
  lr: { type: "number", min: 0, exclusiveMin: true, default: 3e-4, doc: "actor and critic" },
  maxGradNorm: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 0.5,
    doc: "global gradient-norm clip of each Adam step",
  },
  gamma: { type: "number", min: 0, max: 1, default: 0.99, doc: "discount" },
  lambda: { type: "number", min: 0, max: 1, default: 0.95, doc: "TD(lambda) mixing" },
  rewardScale: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 1,
    doc: "env rewards are multiplied by this first (the code's reward_scaling)",
  },
  normalizeReward: {
    type: "boolean",
    default: true,
    doc: "scale rewards by the running std of the discounted return",
  },
  criticHidden: { type: "number", integer: true, min: 1, default: 512, doc: "critic width" },
  bins: { type: "number", integer: true, min: 2, default: 151, doc: "HL-Gauss bins" },
  vmin: { type: "number", default: -10, doc: "lowest HL-Gauss bin centre" },
  vmax: { type: "number", default: 10, doc: "highest HL-Gauss bin centre" },
  auxLossMult: { type: "number", min: 0, default: 1, doc: "weight of the auxiliary losses" },
  entStart: { type: "number", min: 0, exclusiveMin: true, default: 0.01, doc: "initial temp" },
  entTargetMult: {
    type: "number",
    min: 0,
    default: 0.5,
    doc: "target entropy = -entTargetMult * |A|",
  },
  temperatureLr: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 3e-4,
    doc: "Adam rate of the temperature",
  },
  klBound: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 0.1,
    doc: "per-sample KL to the behaviour policy above which the loss is lambda * KL",
  },
  klStart: { type: "number", min: 0, exclusiveMin: true, default: 0.01, doc: "initial lambda" },
  klLambdaLr: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 3e-4,
    doc: "Adam rate of the KL multiplier",
  },
} as const;

/** An actor objective of the REPPO family on a minibatch, for {@link ReppoParts.actorStep}. */
export interface ReppoActorObjective {
  loss: tf.Scalar;
  /** The log density whose negative (times `densityScale`) estimates the entropy: `[batch]`. */
  logDensity: tf.Tensor1D;
  kl: tf.Tensor1D;
  violated: tf.Tensor1D;
}

/** Validated REPPO parameters. */
export type ReppoParams = ValuesOf<typeof REPPO_SCHEMA>;

/** A rollout, time-major (`t * numEnvs + i`), for {@link softLambdaReturns}. */
export interface SoftRollout {
  /** `r_t - gamma (1 - terminated_t) T log pi(a'_{t+1} | s_{t+1})`. */
  softRewards: Float32Array;
  /** `Q(s_{t+1}, a'_{t+1})` with `s_{t+1}` the true next state (the final one at an end). */
  nextValues: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
}

/**
 * REPPO's soft TD(lambda) targets (`compute_nstep_lambda`, without exploration-noise
 * importance weights), backward in time per env:
 *   G_t = soft_t + gamma * (0                                    if terminated_t
 *                          | Q_t                                  if truncated_t or t = T-1
 *                          | lambda G_{t+1} + (1 - lambda) Q_t    otherwise)
 * `Q_t = nextValues[t]`. Unlike the code, which drops the truncated step (its auto-reset
 * loses the final observation), a truncation bootstraps from the true final state.
 */
export function softLambdaReturns(
  rollout: SoftRollout,
  options: { numEnvs: number; gamma: number; lambda: number },
): Float32Array {
  const { numEnvs: n, gamma, lambda } = options;
  const T = rollout.softRewards.length / n;
  const out = new Float32Array(T * n);
  for (let i = 0; i < n; i++) {
    let next = 0;
    for (let t = T - 1; t >= 0; t--) {
      const j = t * n + i;
      const q = rollout.nextValues[j];
      let tail: number;
      if (rollout.terminated[j]) tail = 0;
      else if (rollout.truncated[j] || t === T - 1) tail = q;
      else tail = lambda * next + (1 - lambda) * q;
      next = rollout.softRewards[j] + gamma * tail;
      out[j] = next;
    }
  }
  return out;
}

/** Checkpoint state of {@link ReppoParts}, with the env-step counter and the generator. */
export interface ReppoPartsState {
  envSteps: number;
  rng: RngState;
  critic: ReturnType<CategoricalCritic["state"]>;
  actorOptimizer: ReturnType<Adam["state"]>;
  temperature: ReturnType<Temperature["state"]>;
  lagrange: ReturnType<LagrangeMultiplier["state"]>;
  returnNormalizer: ReturnType<ReturnNormalizer["state"]> | null;
}

/** The learner parts of REPPO and DiffREPPO besides the policy. */
export class ReppoParts {
  readonly critic: CategoricalCritic;
  readonly actorOptimizer: Adam;
  /** Learned toward `-entTargetMult * |A|` (REPPO's entropy Lagrangian). */
  readonly temperature: Temperature;
  /** lambda of the KL trust region. */
  readonly lagrange: LagrangeMultiplier;
  readonly returnNormalizer: ReturnNormalizer | null;
  private readonly rng: Rng;

  /**
   * Builds, in this order: the critic over `criticInputs` floats (weights from
   * `context.rng`), the actor's Adam (gradient-norm clipped), the temperature, the multiplier
   * and the reward normaliser (discounting with `returnGamma`).
   */
  constructor(
    context: AlgorithmContext<ReppoParams>,
    options: { criticInputs: number; actorVariables: Adam["vars"]; returnGamma: number },
  ) {
    const { params, rng, env } = context;
    this.rng = rng;
    this.critic = new CategoricalCritic(options.criticInputs, rng, {
      hidden: params.criticHidden,
      bins: params.bins,
      vmin: params.vmin,
      vmax: params.vmax,
      lr: params.lr,
      maxGradNorm: params.maxGradNorm,
    });
    this.actorOptimizer = new Adam(options.actorVariables, {
      lr: params.lr,
      maxGradNorm: params.maxGradNorm,
    });
    this.temperature = new Temperature({
      alpha: params.entStart,
      learned: true,
      targetEntropy: -params.entTargetMult * env.actDim,
      lr: params.temperatureLr,
    });
    this.lagrange = new LagrangeMultiplier({ init: params.klStart, lr: params.klLambdaLr });
    this.returnNormalizer = params.normalizeReward
      ? new ReturnNormalizer(env.numEnvs, options.returnGamma)
      : null;
  }

  /** Every part, the generator and the env-step counter. */
  state(envSteps: number): ReppoPartsState {
    return {
      envSteps,
      rng: this.rng.state(),
      critic: this.critic.state(),
      actorOptimizer: this.actorOptimizer.state(),
      temperature: this.temperature.state(),
      lagrange: this.lagrange.state(),
      returnNormalizer: this.returnNormalizer?.state() ?? null,
    };
  }

  /** Restores {@link ReppoParts.state}'s output (the caller restores the counter). */
  load(state: ReppoPartsState): void {
    this.critic.load(state.critic);
    this.actorOptimizer.load(state.actorOptimizer);
    this.temperature.load(state.temperature);
    this.lagrange.load(state.lagrange);
    if (this.returnNormalizer && state.returnNormalizer) {
      this.returnNormalizer.load(state.returnNormalizer);
    }
    this.rng.load(state.rng);
  }

  /**
   * One critic step on `batch` (cross-entropy plus `auxMult` times the auxiliary losses); its
   * losses go to `add`. Call it inside a tidy.
   */
  criticStep(
    batch: CategoricalCriticBatch,
    auxMult: number,
    add: (key: string, value: number) => void,
  ): void {
    const critic = this.critic.fit(batch, auxMult);
    add("critic_loss", critic.loss);
    add("critic_ce", critic.ce);
    add("aux_loss", critic.aux);
  }

  /**
   * One actor step on `objective` (given the current temperature and multiplier), then the
   * temperature's step on the entropy estimate `-densityScale * logDensity` and the
   * multiplier's on the KL; the losses and KL statistics go to `add` (`entropy` too with
   * `reportEntropy`). Call it inside a tidy.
   */
  actorStep(
    objective: (temperature: number, lambda: number) => ReppoActorObjective,
    add: (key: string, value: number) => void,
    options: { densityScale: number; reportEntropy: boolean; klBound: number },
  ): void {
    const temperature = this.temperature.value;
    const lambda = this.lagrange.value;
    const { loss, kept } = minimizeKeeping(
      this.actorOptimizer,
      () => objective(temperature, lambda),
    );
    add("actor_loss", loss);
    add("kl", meanOf(kept.kl));
    add("kl_violated", meanOf(kept.violated));
    if (options.reportEntropy) add("entropy", -meanOf(kept.logDensity));
    const density = options.densityScale === 1
      ? kept.logDensity
      : tf.mul(options.densityScale, kept.logDensity) as tf.Tensor1D;
    add("temperature_loss", this.temperature.update(density));
    add("lagrange_loss", this.lagrange.update(kept.kl, options.klBound));
    tf.dispose([kept.logDensity, kept.kl, kept.violated]);
  }

  /**
   * An update's metrics: the means of what `add` summed over its `count` minibatches, the
   * temperature, the multiplier and the mean TD(lambda) target.
   */
  updateMetrics(sums: Record<string, number>, count: number, targets: Float32Array): Metrics {
    const metrics: Metrics = {};
    for (const [key, v] of Object.entries(sums)) metrics[key] = v / count;
    metrics.alpha = this.temperature.value;
    metrics.kl_lambda = this.lagrange.value;
    metrics.target_mean = targets.reduce((a, b) => a + b, 0) / targets.length;
    return metrics;
  }

  /** Frees tensors (not the policy's). */
  dispose(): void {
    this.critic.dispose();
    this.actorOptimizer.dispose();
    this.temperature.dispose();
    this.lagrange.dispose();
  }
}

/** `count` indices `0..count-1` in an order drawn from `rng` (Fisher-Yates). */
export function shuffledIndices(count: number, rng: Rng): Int32Array {
  const out = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

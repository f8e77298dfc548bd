/**
 * The learner parts every soft actor-critic here (SAC, WPO, DiffSAC, DiffWPO) keeps besides its
 * policy, built from `SAC_SCHEMA`'s hyper-parameters, and their checkpoint state.
 */
import type { AlgorithmContext, Rng, RngState } from "../../core/mod.ts";
import { Adam } from "../../core/tensor/mod.ts";
import { ReplayBuffer, type ReplayLayout, Temperature, TwinQ } from "./mod.ts";
import type { SacParams } from "../sac/sac.ts";

/** The `SAC_SCHEMA` parameters that {@link SoftActorCriticParts} is built from. */
export type SoftActorCriticParams = Pick<
  SacParams,
  | "bufferSize"
  | "policyLr"
  | "qLr"
  | "autotune"
  | "alpha"
  | "targetEntropyScale"
  | "criticHidden"
  | "criticActivation"
>;

/** Env-step and update counters of a soft actor-critic. */
export interface SoftActorCriticCounters {
  envSteps: number;
  updates: number;
}

/** Checkpoint state of {@link SoftActorCriticParts}, with the counters and the generator. */
export interface SoftActorCriticState extends SoftActorCriticCounters {
  rng: RngState;
  critics: ReturnType<TwinQ["state"]>;
  temperature: ReturnType<Temperature["state"]>;
  actorOptimizer: ReturnType<Adam["state"]>;
  replay: ReturnType<ReplayBuffer["state"]>;
}

/**
 * Twin critics with Polyak targets, the temperature, the actor's Adam and the replay buffer,
 * with the algorithm's generator for checkpoints.
 */
export class SoftActorCriticParts {
  /** Q1, Q2 and their Polyak targets, with the critics' Adam. */
  readonly critics: TwinQ;
  /** The entropy temperature alpha. */
  readonly temperature: Temperature;
  /** Adam over the policy's trainable variables. */
  readonly actorOptimizer: Adam;
  /** The replay memory. */
  readonly replay: ReplayBuffer;
  private readonly rng: Rng;

  /**
   * Builds, in this order: the critics over `criticInputs` floats (their weights drawn from
   * `context.rng`), the temperature (target entropy `-targetEntropyScale * |A|`), Adam over the
   * policy's trainable variables, and a replay buffer of `replayLayout` holding
   * `min(bufferSize, totalSteps)` transitions. `criticObsInputs` as {@link TwinQ}'s
   * `obsInputs`.
   */
  constructor(
    context: AlgorithmContext<SoftActorCriticParams>,
    criticInputs: number,
    replayLayout: ReplayLayout,
    criticObsInputs?: number,
  ) {
    const { env, params, rng } = context;
    this.rng = rng;
    this.critics = new TwinQ(criticInputs, rng, {
      hidden: params.criticHidden,
      activation: params.criticActivation,
      lr: params.qLr,
      obsInputs: criticObsInputs,
    });
    this.temperature = new Temperature({
      alpha: params.alpha,
      learned: params.autotune,
      targetEntropy: -params.targetEntropyScale * env.actDim,
      lr: params.qLr,
    });
    this.actorOptimizer = new Adam(context.policy.trainableVariables(), { lr: params.policyLr });
    this.replay = new ReplayBuffer(
      Math.min(params.bufferSize, context.totalSteps),
      replayLayout,
    );
  }

  /** Critics, temperature, actor optimiser, replay buffer, generator and `counters`. */
  state(counters: SoftActorCriticCounters): SoftActorCriticState {
    return {
      envSteps: counters.envSteps,
      updates: counters.updates,
      rng: this.rng.state(),
      critics: this.critics.state(),
      temperature: this.temperature.state(),
      actorOptimizer: this.actorOptimizer.state(),
      replay: this.replay.state(),
    };
  }

  /** Restores {@link SoftActorCriticParts.state}'s output (the caller restores the counters). */
  load(state: SoftActorCriticState): void {
    this.critics.load(state.critics);
    this.temperature.load(state.temperature);
    this.actorOptimizer.load(state.actorOptimizer);
    this.replay.load(state.replay);
    this.rng.load(state.rng);
  }

  /** Frees tensors (not the policy's, which the trainer owns). */
  dispose(): void {
    this.critics.dispose();
    this.temperature.dispose();
    this.actorOptimizer.dispose();
  }
}

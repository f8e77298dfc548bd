/**
 * The off-policy skeleton every replay-based actor-critic here is written on (SAC, WPO,
 * DiffSAC, DiffWPO, TD3), after Stable-Baselines3's `OffPolicyAlgorithm`: it owns the replay
 * buffer, the twin critics and the actor's Adam, the warm-up, the env-step and update counters,
 * the critic / delayed-actor / target-network schedule, and checkpoint state. An algorithm
 * writes what differs: how it collects a step, its critic step, its actor step, and any extra
 * learner parts (a temperature, a Lagrange multiplier, the DA-MDP, a target actor).
 *
 * One update, once `envSteps > learningStarts`:
 *
 *   batch = replay.sample(batchSize);  updates += 1
 *   scope = criticStep(batch)                          (every update)
 *   every `actorEvery` updates:  phase = actorPhase(scope); `actorSteps` x phase.step()
 *   every `targetsEvery` updates: updateTargets()
 *
 * Checkpoint state is flat and keyed by part (`critics`, `actorOptimizer`, `replay`, then each
 * added part by its name), with `envSteps`, `updates` and the generator's state.
 */
import type {
  Algorithm,
  AlgorithmContext,
  EpisodeStat,
  IterationResult,
  Metrics,
  Policy,
  Rng,
  RngState,
  ValuesOf,
  VecEnv,
} from "../../core/mod.ts";
import { ACTIVATIONS, Adam, tf } from "../../core/tensor/mod.ts";
import { TwinQ } from "./critics.ts";
import { ReplayBuffer, type ReplayLayout } from "./replay.ts";

/** Hyper-parameters of the skeleton (CleanRL's SAC defaults). */
export const OFF_POLICY_SCHEMA = {
  gamma: { type: "number", min: 0, max: 1, default: 0.99, doc: "discount" },
  tau: { type: "number", min: 0, max: 1, default: 0.005, doc: "Polyak target rate" },
  batchSize: { type: "number", integer: true, min: 1, default: 256, doc: "replayed transitions" },
  bufferSize: {
    type: "number",
    integer: true,
    min: 1,
    default: 1_000_000,
    doc: "replay capacity (at most the run's steps are kept)",
  },
  learningStarts: {
    type: "number",
    integer: true,
    min: 0,
    default: 5000,
    doc: "env steps of uniform random actions before the first update",
  },
  policyLr: { type: "number", min: 0, exclusiveMin: true, default: 3e-4, doc: "actor Adam rate" },
  qLr: { type: "number", min: 0, exclusiveMin: true, default: 1e-3, doc: "critic Adam rate" },
  policyFrequency: {
    type: "number",
    integer: true,
    min: 1,
    default: 2,
    doc: "updates between actor phases",
  },
  targetNetworkFrequency: {
    type: "number",
    integer: true,
    min: 1,
    default: 1,
    doc: "updates between Polyak target updates",
  },
  criticHidden: {
    type: "number[]",
    integer: true,
    min: 1,
    default: [256, 256],
    minLength: 1,
    doc: "critic hidden layer sizes",
  },
  criticActivation: {
    type: "string",
    values: ACTIVATIONS,
    default: "relu",
    doc: "critic hidden activation",
  },
} as const;

/** Validated skeleton parameters. */
export type OffPolicyParams = ValuesOf<typeof OFF_POLICY_SCHEMA>;

/** The parameters the skeleton itself reads (the schedule comes in its options). */
export type OffPolicyCoreParams = Omit<
  OffPolicyParams,
  "policyFrequency" | "targetNetworkFrequency"
>;

/** A learner part with checkpoint state, saved, restored and freed by the skeleton. */
export interface LearnerPart {
  state(): unknown;
  load(state: never): void;
  dispose?(): void;
}

/** When the actor and the targets update, counted in updates. */
export interface OffPolicySchedule {
  /** Updates between actor phases. */
  actorEvery: number;
  /** Actor steps in one phase (CleanRL's SAC makes up for the delay with `actorEvery` steps). */
  actorSteps: number;
  /** Updates between target-network updates. */
  targetsEvery: number;
}

/** What a critic step leaves for the actor phase of the same update; freed after it. */
export interface UpdateScope {
  dispose(): void;
}

/** One actor phase: `step` runs `actorSteps` times, then `dispose` (if any). */
export interface ActorPhase {
  step(metrics: Metrics): void;
  dispose?(): void;
}

/** How the skeleton builds its parts. */
export interface OffPolicyOptions {
  /** Floats in a critic input. */
  criticInputs: number;
  /** Leading observation floats of the critic input (see {@link TwinQ}'s `obsInputs`). */
  criticObsInputs?: number;
  /** Replay fields of one stored step. */
  replayLayout: ReplayLayout;
  /** The actor/target schedule (SAC's: {@link sacSchedule}). */
  schedule: OffPolicySchedule;
}

/** CleanRL's SAC schedule: `policyFrequency` actor steps every `policyFrequency` updates. */
export function sacSchedule(
  params: Pick<OffPolicyParams, "policyFrequency" | "targetNetworkFrequency">,
): OffPolicySchedule {
  return {
    actorEvery: params.policyFrequency,
    actorSteps: params.policyFrequency,
    targetsEvery: params.targetNetworkFrequency,
  };
}

/**
 * One optimiser step on `objective().loss`, keeping the other tensors it returns (metrics
 * inputs such as log densities) alive past the step; the caller disposes them.
 */
export function minimizeKeeping<T extends { loss: tf.Scalar }>(
  optimizer: Adam,
  objective: () => T,
): { loss: number; kept: Omit<T, "loss"> } {
  let kept: Omit<T, "loss"> | undefined;
  const loss = optimizer.minimize(() => {
    const { loss, ...rest } = objective();
    for (const value of Object.values(rest)) {
      if (value instanceof tf.Tensor) tf.keep(value);
    }
    kept = rest;
    return loss;
  });
  return { loss, kept: kept! };
}

/** The mean of a tensor as a number (for metrics). */
export function meanOf(t: tf.Tensor): number {
  return tf.tidy(() => tf.mean(t).dataSync()[0]);
}

/** Checkpoint state of the skeleton: counters, generator and every part by name. */
export interface OffPolicyState {
  envSteps: number;
  updates: number;
  rng: RngState;
  [part: string]: unknown;
}

/** The skeleton; see the module comment. */
export abstract class OffPolicyAlgorithm<P extends Policy, Params extends OffPolicyCoreParams>
  implements Algorithm {
  readonly policy: P;
  readonly params: Params;
  /** Env steps taken, summed over env copies. */
  envSteps = 0;
  /** Gradient updates made. */
  updates = 0;
  protected readonly env: VecEnv;
  /** The algorithm's generator: exploration, replay sampling, noise. */
  protected readonly rng: Rng;
  /** Q1, Q2 and their Polyak targets, with the critics' Adam. */
  readonly critics: TwinQ;
  /** Adam over the policy's trainable variables. */
  readonly actorOptimizer: Adam;
  /** The replay memory: `min(bufferSize, the run's env steps)` transitions. */
  readonly replay: ReplayBuffer;
  private readonly schedule: OffPolicySchedule;
  private readonly parts: [string, LearnerPart][] = [];

  /**
   * Builds, in this order: the critics (weights drawn from `context.rng`), Adam over the
   * policy's trainable variables, and the replay buffer.
   */
  protected constructor(context: AlgorithmContext<Params, P>, options: OffPolicyOptions) {
    const { env, params, rng } = context;
    this.policy = context.policy;
    this.params = params;
    this.env = env;
    this.rng = rng;
    this.critics = new TwinQ(options.criticInputs, rng, {
      hidden: params.criticHidden,
      activation: params.criticActivation,
      lr: params.qLr,
      obsInputs: options.criticObsInputs,
    });
    this.actorOptimizer = new Adam(context.policy.trainableVariables(), { lr: params.policyLr });
    // every step the run will take, rounded up to whole steps of all env copies
    const runSteps = Math.ceil(context.totalSteps / env.numEnvs) * env.numEnvs;
    this.replay = new ReplayBuffer(Math.min(params.bufferSize, runSteps), options.replayLayout);
    this.schedule = options.schedule;
    this.addPart("critics", this.critics);
    this.addPart("actorOptimizer", this.actorOptimizer);
    this.addPart("replay", this.replay);
  }

  /** Registers a part whose state is checkpointed under `name` and that is freed on dispose. */
  protected addPart<T extends LearnerPart>(name: string, part: T): T {
    this.parts.push([name, part]);
    return part;
  }

  /**
   * One env step for every copy, stored in the replay: uniform random actions when `random`
   * (before `learningStarts`), else the policy's. Returns the episodes that ended.
   */
  protected abstract collect(random: boolean): EpisodeStat[];

  /** The critic step on a replayed batch; the scope carries what the actor phase needs. */
  protected abstract criticStep(batch: Record<string, Float32Array>, metrics: Metrics): UpdateScope;

  /** The actor phase of an update whose critic step left `scope`. */
  protected abstract actorPhase(scope: UpdateScope): ActorPhase;

  /** Polyak-averages the targets (the critics'; TD3 adds its actor's). */
  protected updateTargets(): void {
    this.critics.updateTargets(this.params.tau);
  }

  /** One env step for every copy, then one update once learning has started. */
  iterate(): IterationResult {
    const episodes = this.collect(this.envSteps < this.params.learningStarts);
    this.envSteps += this.env.numEnvs;
    const metrics = this.envSteps > this.params.learningStarts ? this.update() : {};
    return { metrics, episodes };
  }

  private update(): Metrics {
    const { schedule } = this;
    const batch = this.replay.sample(this.params.batchSize, this.rng);
    this.updates++;
    const metrics: Metrics = {};
    const scope = this.criticStep(batch, metrics);
    if (this.updates % schedule.actorEvery === 0) {
      const phase = this.actorPhase(scope);
      for (let i = 0; i < schedule.actorSteps; i++) phase.step(metrics);
      phase.dispose?.();
    }
    if (this.updates % schedule.targetsEvery === 0) this.updateTargets();
    scope.dispose();
    return metrics;
  }

  /** Counters, generator and every part's state. */
  state(): OffPolicyState {
    const out: OffPolicyState = {
      envSteps: this.envSteps,
      updates: this.updates,
      rng: this.rng.state(),
    };
    for (const [name, part] of this.parts) out[name] = part.state();
    return out;
  }

  /** Restores {@link OffPolicyAlgorithm.state}'s output. */
  load(raw: unknown): void {
    const state = raw as OffPolicyState;
    for (const [name, part] of this.parts) {
      if (!(name in state)) throw new Error(`checkpoint has no '${name}' state`);
      part.load(state[name] as never);
    }
    this.rng.load(state.rng);
    this.envSteps = state.envSteps;
    this.updates = state.updates;
  }

  /** Frees every part's tensors (not the policy's, which the trainer owns). */
  dispose(): void {
    for (const [, part] of this.parts) part.dispose?.();
  }
}

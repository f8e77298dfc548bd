/**
 * Gymnasium's `MountainCarContinuous-v0` (classic control), ported equation for equation.
 *
 * The state is kept as float64 JS numbers and observations are float32. (Gymnasium itself
 * re-stores its state as float32 after every step; see {@link MountainCarContinuous}.)
 */
import type { Env, StepResult } from "../core/env.ts";
import { type Box, box } from "../core/spaces.ts";
import { Rng, type RngState } from "../core/rng.ts";
import { type Schema, validate } from "../core/schema.ts";
import { checkEnvState } from "./env_state.ts";

const ID = "MountainCarContinuous-v0";
const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.45;
const POWER = 0.0015;

/** Options `envParams` may set. */
const MOUNTAIN_CAR_PARAMS = {
  goalVelocity: { type: "number", default: 0, doc: "velocity needed at the goal" },
} as const satisfies Schema;

/** Constructor options of {@link MountainCarContinuous}. */
export interface MountainCarContinuousOptions {
  /** Minimum velocity at the goal to count as success (Gymnasium's `goal_velocity`), default 0. */
  goalVelocity?: number;
}

/** Serialisable state of a {@link MountainCarContinuous}. */
export interface MountainCarContinuousState {
  /** Car position in `[-1.2, 0.6]`. */
  position: number;
  /** Car velocity in `[-0.07, 0.07]`. */
  velocity: number;
  /** Steps taken in the current episode (for the 999-step time limit). */
  steps: number;
  /** The env's generator state. */
  rng: RngState;
}

/**
 * The continuous mountain car, a port of Gymnasium's `MountainCarContinuous-v0`.
 *
 * - Observation `[position, velocity]` in `[-1.2, -0.07]..[0.6, 0.07]` (float32).
 * - Action: force `a` in `[-1, 1]`; the dynamics clip it, the action cost uses the raw value.
 * - Dynamics: `v += clip(a, -1, 1) * 0.0015 - 0.0025 cos(3 x)`, `v` clipped to `[-0.07, 0.07]`,
 *   `x += v` clipped to `[-1.2, 0.6]`; hitting the left wall with `v < 0` sets `v = 0`.
 * - Terminates when `x >= 0.45 && v >= goalVelocity`; reward `100 * [terminated] - 0.1 a^2`.
 * - Truncated on the 999th step (Gymnasium's TimeLimit), possibly together with terminated.
 * - Reset: `x ~ U(-0.6, -0.4)`, `v = 0`.
 *
 * Known deviation: Gymnasium stores `[position, velocity]` as float32 at the end of each step
 * and continues from the rounded values; this port keeps float64 throughout. The two agree to
 * float32 precision (a 999-step trajectory differed by at most 2.4e-7 in the observation).
 *
 * A new instance is already reset with seed 0, so it can be stepped at once.
 */
export class MountainCarContinuous implements Env {
  /** Gymnasium id. */
  readonly id: string = ID;
  /** `[position, velocity]` bounds. */
  readonly observationSpace: Box = box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]);
  /** Force, `[-1, 1]`. */
  readonly actionSpace: Box = box(MIN_ACTION, MAX_ACTION, 1);
  /** Gymnasium's registered TimeLimit. */
  readonly maxEpisodeSteps: number = 999;
  /** Minimum velocity at the goal position. */
  readonly goalVelocity: number;
  private rng: Rng;
  private position = 0;
  private velocity = 0;
  private steps = 0;

  /** Builds the env; throws when `goalVelocity` is not a finite number. */
  constructor(options: MountainCarContinuousOptions = {}) {
    this.goalVelocity = validate(MOUNTAIN_CAR_PARAMS, options, "envParams").goalVelocity;
    this.rng = new Rng(0);
    this.reset();
  }

  /** Starts an episode: `position ~ U(-0.6, -0.4)`, `velocity = 0`; a seed re-creates the generator. */
  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng = new Rng(seed);
    this.position = this.rng.uniformRange(-0.6, -0.4);
    this.velocity = 0;
    this.steps = 0;
    return this.observe();
  }

  /** Applies force `action[0]` for one step. */
  step(action: Float32Array): StepResult {
    if (action.length !== 1) {
      throw new Error(`${ID}.step: expected an action of length 1, got ${action.length}`);
    }
    const a0 = action[0];
    let position = this.position;
    let velocity = this.velocity;
    const force = Math.min(Math.max(a0, MIN_ACTION), MAX_ACTION);
    velocity += force * POWER - 0.0025 * Math.cos(3 * position);
    if (velocity > MAX_SPEED) velocity = MAX_SPEED;
    if (velocity < -MAX_SPEED) velocity = -MAX_SPEED;
    position += velocity;
    if (position > MAX_POSITION) position = MAX_POSITION;
    if (position < MIN_POSITION) position = MIN_POSITION;
    if (position === MIN_POSITION && velocity < 0) velocity = 0;
    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    const reward = (terminated ? 100.0 : 0) - a0 * a0 * 0.1;
    this.position = position;
    this.velocity = velocity;
    this.steps += 1;
    return {
      obs: this.observe(),
      reward,
      terminated,
      truncated: this.steps >= this.maxEpisodeSteps,
    };
  }

  /** Position, velocity, episode step count and generator state. */
  state(): MountainCarContinuousState {
    return {
      position: this.position,
      velocity: this.velocity,
      steps: this.steps,
      rng: this.rng.state(),
    };
  }

  /** Restores {@link MountainCarContinuous.state}'s output; the env then continues identically. */
  load(state: unknown): void {
    const checked = checkEnvState(state, ID, {
      numbers: ["position", "velocity"],
      counts: ["steps"],
    });
    const rng = new Rng(0);
    rng.load(checked.rng);
    this.rng = rng;
    this.position = checked.position;
    this.velocity = checked.velocity;
    this.steps = checked.steps;
  }

  private observe(): Float32Array {
    const obs = new Float32Array(2);
    obs[0] = this.position;
    obs[1] = this.velocity;
    return obs;
  }
}

/**
 * Builds a {@link MountainCarContinuous} from run-config params. Accepted key: `goalVelocity`
 * (finite number, default 0); any other key throws.
 */
export function createMountainCarContinuous(params: Record<string, unknown>): Env {
  return new MountainCarContinuous(params);
}

/**
 * Gymnasium's `Pendulum-v1` (classic control), ported equation for equation.
 *
 * The state is kept as float64 JS numbers, as Gymnasium keeps it in a float64 numpy array;
 * observations are float32.
 */
import type { Env, StepResult } from "../core/env.ts";
import { type Box, box } from "../core/spaces.ts";
import { Rng, type RngState } from "../core/rng.ts";
import { type Schema, validate } from "../core/schema.ts";
import { checkEnvState } from "./env_state.ts";

const ID = "Pendulum-v1";
const MAX_SPEED = 8;
const MAX_TORQUE = 2;
const DT = 0.05;
const M = 1;
const L = 1;

/** Gymnasium's default gravity for Pendulum-v1. */
const DEFAULT_G = 10.0;
/** Options `envParams` may set. */
const PENDULUM_PARAMS = {
  g: { type: "number", default: DEFAULT_G, doc: "gravity" },
} as const satisfies Schema;

/** Constructor options of {@link Pendulum}. */
export interface PendulumOptions {
  /** Gravity (Gymnasium's `g`), default 10.0; must be a finite number. */
  g?: number;
}

/** Serialisable state of a {@link Pendulum}, as returned by {@link Pendulum.state}. */
export interface PendulumState {
  /** Angle in radians (0 = upright), not normalised. */
  th: number;
  /** Angular velocity. */
  thdot: number;
  /** Steps taken in the current episode (for the 200-step time limit). */
  steps: number;
  /** The env's generator state. */
  rng: RngState;
}

/**
 * Gymnasium's `angle_normalize`: `((x + pi) mod 2pi) - pi` with Python's modulo (result has the
 * divisor's sign), so the output lies in `[-pi, pi)`: `angleNormalize(pi) === -pi`.
 */
export function angleNormalize(x: number): number {
  const twoPi = 2 * Math.PI;
  // JS `%` is C's fmod; Python's float `%` adds the divisor when the signs differ and
  // turns a zero into +0.
  let r = (x + Math.PI) % twoPi;
  if (r < 0) r += twoPi;
  else if (r === 0) r = 0;
  return r - Math.PI;
}

/**
 * The inverted pendulum swing-up task, an exact port of Gymnasium's `Pendulum-v1`.
 *
 * - Observation `[cos(th), sin(th), thdot]` in `[-1, -1, -8]..[1, 1, 8]` (float32).
 * - Action: torque `u` in `[-2, 2]` (clipped).
 * - Reward: `-(angleNormalize(th)^2 + 0.1 * thdot^2 + 0.001 * u^2)`, from the state before the
 *   step, so it lies in about `[-16.27, 0]`.
 * - Dynamics: `thdot' = clip(thdot + (3g/(2l) sin(th) + 3/(m l^2) u) dt, -8, 8)`,
 *   `th' = th + thdot' dt`, with `dt = 0.05`, `m = l = 1`, `g = 10` by default.
 * - Never terminates; truncated on the 200th step (Gymnasium's TimeLimit).
 * - Reset: `th ~ U(-pi, pi)`, `thdot ~ U(-1, 1)`.
 *
 * A new instance is already reset with seed 0, so it can be stepped at once.
 */
export class Pendulum implements Env {
  /** Gymnasium id. */
  readonly id: string = ID;
  /** `[cos th, sin th, thdot]` bounds: `[-1, -1, -8]..[1, 1, 8]`. */
  readonly observationSpace: Box = box([-1, -1, -MAX_SPEED], [1, 1, MAX_SPEED]);
  /** Torque, `[-2, 2]`. */
  readonly actionSpace: Box = box(-MAX_TORQUE, MAX_TORQUE, 1);
  /** Gymnasium's registered TimeLimit. */
  readonly maxEpisodeSteps: number = 200;
  /** Gravity in use. */
  readonly g: number;
  private rng: Rng;
  private th = 0;
  private thdot = 0;
  private steps = 0;

  /** Builds the env; throws when `g` is not a finite number. */
  constructor(options: PendulumOptions = {}) {
    this.g = validate(PENDULUM_PARAMS, options, "envParams").g;
    this.rng = new Rng(0);
    this.reset();
  }

  /** Starts an episode: `th ~ U(-pi, pi)`, `thdot ~ U(-1, 1)`; a seed re-creates the generator. */
  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng = new Rng(seed);
    this.th = this.rng.uniformRange(-Math.PI, Math.PI);
    this.thdot = this.rng.uniformRange(-1, 1);
    this.steps = 0;
    return this.observe();
  }

  /** Applies torque `action[0]` (clipped to `[-2, 2]`) for one `dt`. */
  step(action: Float32Array): StepResult {
    if (action.length !== 1) {
      throw new Error(`${ID}.step: expected an action of length 1, got ${action.length}`);
    }
    const th = this.th;
    const thdot = this.thdot;
    const g = this.g;
    const u = Math.min(Math.max(action[0], -MAX_TORQUE), MAX_TORQUE);
    const an = angleNormalize(th);
    // Same operation order as the Python source so the float64 results agree.
    const cost = an * an + 0.1 * (thdot * thdot) + 0.001 * (u * u);
    let newthdot = thdot + (3 * g / (2 * L) * Math.sin(th) + 3.0 / (M * L * L) * u) * DT;
    newthdot = Math.min(Math.max(newthdot, -MAX_SPEED), MAX_SPEED);
    this.th = th + newthdot * DT;
    this.thdot = newthdot;
    this.steps += 1;
    return {
      obs: this.observe(),
      reward: -cost,
      terminated: false,
      truncated: this.steps >= this.maxEpisodeSteps,
    };
  }

  /** Angle, velocity, episode step count and generator state. */
  state(): PendulumState {
    return { th: this.th, thdot: this.thdot, steps: this.steps, rng: this.rng.state() };
  }

  /** Restores {@link Pendulum.state}'s output; the env then continues exactly as the saved one. */
  load(state: unknown): void {
    const checked = checkEnvState(state, ID, { numbers: ["th", "thdot"], counts: ["steps"] });
    const rng = new Rng(0);
    rng.load(checked.rng);
    this.rng = rng;
    this.th = checked.th;
    this.thdot = checked.thdot;
    this.steps = checked.steps;
  }

  private observe(): Float32Array {
    const obs = new Float32Array(3);
    obs[0] = Math.cos(this.th);
    obs[1] = Math.sin(this.th);
    obs[2] = this.thdot;
    return obs;
  }
}

/**
 * Builds a {@link Pendulum} from run-config params. Accepted key: `g` (finite number, default
 * 10.0); any other key throws.
 */
export function createPendulum(params: Record<string, unknown>): Env {
  return new Pendulum(params);
}

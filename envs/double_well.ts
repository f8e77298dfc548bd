/**
 * `DoubleWell-v0`: a one-step toy task whose reward has two separated optima, for checking
 * that a policy can represent (and keep) a multimodal action distribution.
 */
import type { Env, StepResult } from "../core/env.ts";
import { type Box, box } from "../core/spaces.ts";
import { Rng, type RngState } from "../core/rng.ts";
import { type Schema, validate } from "../core/schema.ts";
import { checkEnvState } from "./env_state.ts";

const ID = "DoubleWell-v0";

/** Default distance of each mode from the origin. */
const DEFAULT_RADIUS = 0.8;
/** Default Gaussian width of each well. */
const DEFAULT_WIDTH = 0.2;
/** Angle of the modes from the +x axis: +-45 degrees. */
const MODE_ANGLE = Math.PI / 4;
/** Options `envParams` may set. */
const DOUBLE_WELL_PARAMS = {
  radius: { type: "number", min: 0, exclusiveMin: true, default: DEFAULT_RADIUS },
  width: { type: "number", min: 0, exclusiveMin: true, default: DEFAULT_WIDTH },
} as const satisfies Schema;

/**
 * The two optimal actions of {@link DoubleWell}: `radius * (cos 45deg, +sin 45deg)` (mode +1,
 * first) and `radius * (cos 45deg, -sin 45deg)` (mode -1). With the default radius 0.8 these
 * are about `(0.566, 0.566)` and `(0.566, -0.566)`. The numbers are exactly the ones
 * {@link DoubleWell.step} uses.
 */
export function doubleWellModes(radius: number = DEFAULT_RADIUS): [number, number][] {
  const x = radius * Math.cos(MODE_ANGLE);
  const y = radius * Math.sin(MODE_ANGLE);
  return [[x, y], [x, -y]];
}

/** Constructor options of {@link DoubleWell}. */
export interface DoubleWellOptions {
  /** Distance of each mode from the origin, default 0.8; positive and finite. */
  radius?: number;
  /** Gaussian width `w` of each well, default 0.2; positive and finite. */
  width?: number;
}

/** Serialisable state of a {@link DoubleWell}. */
export interface DoubleWellState {
  /** Steps taken since the last reset. */
  steps: number;
  /** The env's generator state (unused by the dynamics, kept for the common contract). */
  rng: RngState;
}

/**
 * A multimodal one-step bandit.
 *
 * - Observation: the constant `[1]` (space `[-1]..[1]`).
 * - Action: `a` in `[-1, 1]^2`, used as given (not clipped).
 * - Reward: `r(a) = max over m in {m+, m-} of exp(-||a - m||^2 / (2 w^2))`, with the modes
 *   `m+- = R * (cos 45deg, +-sin 45deg)`, `R = 0.8`, `w = 0.2` by default (see
 *   {@link doubleWellModes}). Both modes give reward 1; the point midway between them,
 *   `(0.566, 0)`, gives `exp(-R^2 / (4 w^2)) = exp(-4) ~= 0.018`, so a policy that averages the
 *   modes is punished and the reward is symmetric under `a[1] -> -a[1]`.
 * - Every step terminates (`terminated = true`, `truncated = false`); `maxEpisodeSteps` is 1.
 * - `info.mode` is `+1` when `a` is at least as near `m+` as `m-` (i.e. `a[1] >= 0`), else `-1`.
 */
export class DoubleWell implements Env {
  /** Env id. */
  readonly id: string = ID;
  /** The constant observation's bounds, `[-1]..[1]`. */
  readonly observationSpace: Box = box(-1, 1, 1);
  /** `[-1, 1]^2`. */
  readonly actionSpace: Box = box(-1, 1, 2);
  /** One step per episode. */
  readonly maxEpisodeSteps: number = 1;
  /** Distance of each mode from the origin. */
  readonly radius: number;
  /** Gaussian width of each well. */
  readonly width: number;
  /** The two optimal actions (see {@link doubleWellModes}). */
  readonly modes: [number, number][];
  private readonly modeX: number;
  private readonly modeY: number;
  private readonly invTwoW2: number;
  private rng: Rng;
  private steps = 0;

  /** Builds the env; throws when `radius` or `width` is not a positive finite number. */
  constructor(options: DoubleWellOptions = {}) {
    ({ radius: this.radius, width: this.width } = validate(
      DOUBLE_WELL_PARAMS,
      options,
      "envParams",
    ));
    this.modes = doubleWellModes(this.radius);
    const [[x, y]] = this.modes;
    this.modeX = x;
    this.modeY = y;
    this.invTwoW2 = 1 / (2 * this.width * this.width);
    this.rng = new Rng(0);
  }

  /** Starts an episode (the observation is always `[1]`); a seed re-creates the generator. */
  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng = new Rng(seed);
    this.steps = 0;
    return DoubleWell.observe();
  }

  /** Scores `action` against the nearer mode; always terminates. */
  step(action: Float32Array): StepResult {
    if (action.length !== 2) {
      throw new Error(`${ID}.step: expected an action of length 2, got ${action.length}`);
    }
    const dx = action[0] - this.modeX;
    const dyPlus = action[1] - this.modeY;
    const dyMinus = action[1] + this.modeY;
    const dPlus = dx * dx + dyPlus * dyPlus;
    const dMinus = dx * dx + dyMinus * dyMinus;
    const nearPlus = dPlus <= dMinus;
    // max of the two Gaussians = the Gaussian of the nearer mode.
    const reward = Math.exp(-(nearPlus ? dPlus : dMinus) * this.invTwoW2);
    this.steps += 1;
    return {
      obs: DoubleWell.observe(),
      reward,
      terminated: true,
      truncated: false,
      info: { mode: nearPlus ? 1 : -1 },
    };
  }

  /** Step count since reset and generator state. */
  state(): DoubleWellState {
    return { steps: this.steps, rng: this.rng.state() };
  }

  /** Restores {@link DoubleWell.state}'s output. */
  load(state: unknown): void {
    const checked = checkEnvState(state, ID, { numbers: [], counts: ["steps"] });
    const rng = new Rng(0);
    rng.load(checked.rng);
    this.rng = rng;
    this.steps = checked.steps;
  }

  private static observe(): Float32Array {
    const obs = new Float32Array(1);
    obs[0] = 1;
    return obs;
  }
}

/**
 * Builds a {@link DoubleWell} from run-config params. Accepted keys: `radius` and `width`
 * (positive finite numbers, defaults 0.8 and 0.2); any other key throws.
 */
export function createDoubleWell(params: Record<string, unknown>): Env {
  return new DoubleWell(params);
}

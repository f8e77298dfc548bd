/**
 * `dmc/hopper-{stand,hop}` (dm_control `hopper.*`): the planar one-legged hopper balances
 * upright or hops forward. Control timestep 0.02 s (4 physics steps of 0.005 s).
 *
 * Observation (15): `position` (6: qpos[1:]), `velocity` (7: qvel), `touch` (2:
 * `log1p` of the toe and heel touch sensors).
 * Reward: `standing = tolerance(torso z - foot z (centres of mass), (0.6, 2))`; stand
 * returns `standing * (4 + mean(tolerance(ctrl, margin=1, value_at_margin=0, quadratic))) / 5`,
 * hop returns `standing * tolerance(com x velocity, bounds=(2, inf), margin=1,
 * value_at_margin=0.5, linear)`.
 * Initial state: `randomize_limited_and_rotational_joints`.
 */
import type { Env } from "../../core/env.ts";
import { DmcEnv } from "./dmc_env.ts";
import { tolerance } from "./rewards.ts";
import { HOPPER_XML } from "./assets/hopper.ts";

/** dm_control's `_STAND_HEIGHT` and `_HOP_SPEED`. */
export const HOPPER_STAND_HEIGHT = 0.6;
/** Hopping speed above which the hop reward is 1. */
export const HOPPER_HOP_SPEED = 2;

/** dm_control's `Hopper` task. */
export class Hopper extends DmcEnv {
  /** Hop forward (true) or stand still (false). */
  readonly hopping: boolean;
  private readonly torso: number;
  private readonly foot: number;
  private readonly speedSensor: number;
  private readonly toe: number;
  private readonly heel: number;

  /** Builds the task; `params` are the common DMC parameters. */
  constructor(hopping: boolean, params: Record<string, unknown> = {}) {
    super({
      id: `dmc/hopper-${hopping ? "hop" : "stand"}`,
      xml: HOPPER_XML,
      nSubSteps: 4,
      observation: [
        { key: "position", size: 6 },
        { key: "velocity", size: 7 },
        { key: "touch", size: 2 },
      ],
    }, params);
    this.hopping = hopping;
    this.torso = this.bodyId("torso");
    this.foot = this.bodyId("foot");
    this.speedSensor = this.sensorAddress("torso_subtreelinvel");
    this.toe = this.sensorAddress("touch_toe");
    this.heel = this.sensorAddress("touch_heel");
    this.reset();
  }

  protected initializeEpisode(): void {
    this.randomizeLimitedAndRotationalJoints();
  }

  /** Height of the torso's centre of mass over the foot's. */
  height(): number {
    const xipos = this.field("xipos");
    return xipos[3 * this.torso + 2] - xipos[3 * this.foot + 2];
  }

  /** Horizontal velocity of the centre of mass. */
  speed(): number {
    return this.field("sensordata")[this.speedSensor];
  }

  protected observe(out: Float32Array): void {
    const o = this.observeState(out, 1);
    const sensors = this.field("sensordata");
    out[o] = Math.log1p(sensors[this.toe]);
    out[o + 1] = Math.log1p(sensors[this.heel]);
  }

  reward(): number {
    const standing = tolerance(this.height(), { bounds: [HOPPER_STAND_HEIGHT, 2] });
    if (this.hopping) {
      return standing * tolerance(this.speed(), {
        bounds: [HOPPER_HOP_SPEED, Infinity],
        margin: HOPPER_HOP_SPEED / 2,
        valueAtMargin: 0.5,
        sigmoid: "linear",
      });
    }
    const ctrl = this.field("ctrl");
    let sum = 0;
    for (let i = 0; i < this.nu; i++) {
      sum += tolerance(ctrl[i], { margin: 1, valueAtMargin: 0, sigmoid: "quadratic" });
    }
    return standing * (sum / this.nu + 4) / 5;
  }
}

/** Env factories for the registry. */
export const createHopperStand = (params: Record<string, unknown>): Env =>
  new Hopper(false, params);
/** Hop forward. */
export const createHopperHop = (params: Record<string, unknown>): Env => new Hopper(true, params);

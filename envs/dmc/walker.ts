/**
 * `dmc/walker-{stand,walk,run}` (dm_control `walker.*`): the planar walker stands up, walks
 * (1 m/s) or runs (8 m/s). Control timestep 0.025 s (10 physics steps of 0.0025 s).
 *
 * Observation (24): `orientations` (14: `xx`, `xz` of every body's frame but the world's),
 * `height` (1: the torso's z), `velocity` (9: qvel).
 * Reward: `stand = (3 * standing + upright) / 4` with
 * `standing = tolerance(torso z, bounds=(1.2, inf), margin=0.6)` and
 * `upright = (1 + torso zz) / 2`; stand returns `stand`, walk and run
 * `stand * (5 * move + 1) / 6` with
 * `move = tolerance(com x velocity, bounds=(speed, inf), margin=speed/2, value_at_margin=0.5,
 * linear)`.
 * Initial state: `randomize_limited_and_rotational_joints` (no settling: the walker falls).
 */
import type { Env } from "../../core/env.ts";
import { DmcEnv } from "./dmc_env.ts";
import { putClipped } from "../mujoco/mujoco_env.ts";
import { tolerance } from "./rewards.ts";
import { WALKER_XML } from "./assets/walker.ts";

/** dm_control's `_STAND_HEIGHT`: torso height above which the stand reward is 1. */
export const WALKER_STAND_HEIGHT = 1.2;

/** dm_control's target speeds by task. */
export const WALKER_SPEEDS = { stand: 0, walk: 1, run: 8 } as const;

/** A walker task name. */
export type WalkerTask = keyof typeof WALKER_SPEEDS;

/** dm_control's `PlanarWalker` task. */
export class PlanarWalker extends DmcEnv {
  /** Target horizontal speed; 0 rewards standing only. */
  readonly moveSpeed: number;
  private readonly torso: number;
  private readonly speedSensor: number;

  /** Builds the task; `params` are the common DMC parameters. */
  constructor(task: WalkerTask, params: Record<string, unknown> = {}) {
    super({
      id: `dmc/walker-${task}`,
      xml: WALKER_XML,
      nSubSteps: 10,
      observation: [
        { key: "orientations", size: 14 },
        { key: "height", size: 1 },
        { key: "velocity", size: 9 },
      ],
    }, params);
    this.moveSpeed = WALKER_SPEEDS[task];
    this.torso = this.bodyId("torso");
    this.speedSensor = this.sensorAddress("torso_subtreelinvel");
    this.reset();
  }

  protected initializeEpisode(): void {
    this.randomizeLimitedAndRotationalJoints();
  }

  /** Height of the torso's frame. */
  torsoHeight(): number {
    return this.field("xpos")[3 * this.torso + 2];
  }

  /** Horizontal velocity of the centre of mass. */
  horizontalVelocity(): number {
    return this.field("sensordata")[this.speedSensor];
  }

  protected observe(out: Float32Array): void {
    let o = 0;
    for (let b = 1; b < this.model.nbody; b++) {
      out[o++] = this.xmat(b, "xx");
      out[o++] = this.xmat(b, "xz");
    }
    out[o++] = this.torsoHeight();
    putClipped(out, o, this.field("qvel"));
  }

  reward(): number {
    const standing = tolerance(this.torsoHeight(), {
      bounds: [WALKER_STAND_HEIGHT, Infinity],
      margin: WALKER_STAND_HEIGHT / 2,
    });
    const upright = (1 + this.xmat(this.torso, "zz")) / 2;
    const stand = (3 * standing + upright) / 4;
    if (this.moveSpeed === 0) return stand;
    const move = tolerance(this.horizontalVelocity(), {
      bounds: [this.moveSpeed, Infinity],
      margin: this.moveSpeed / 2,
      valueAtMargin: 0.5,
      sigmoid: "linear",
    });
    return stand * (5 * move + 1) / 6;
  }
}

/** Env factories for the registry. */
export const createWalkerStand = (params: Record<string, unknown>): Env =>
  new PlanarWalker("stand", params);
/** Walk at 1 m/s. */
export const createWalkerWalk = (params: Record<string, unknown>): Env =>
  new PlanarWalker("walk", params);
/** Run at 8 m/s. */
export const createWalkerRun = (params: Record<string, unknown>): Env =>
  new PlanarWalker("run", params);

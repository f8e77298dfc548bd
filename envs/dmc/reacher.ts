/**
 * `dmc/reacher-{easy,hard}` (dm_control `reacher.*`): a two-link planar arm brings its finger
 * into a target placed at random. Control timestep 0.02 s (one physics step).
 *
 * Observation (6): `position` (2: qpos), `to_target` (2: the target's x, y minus the
 * finger's), `velocity` (2: qvel).
 * Reward: `tolerance(|to_target|, bounds=(0, r))` with `r` the target's radius plus the
 * finger's: 1 when the finger's centre is within `r` of the target's, else 0.
 * Initial state: the target's radius set to 0.05 (easy) or 0.015 (hard),
 * `randomize_limited_and_rotational_joints` (shoulder in `[-pi, pi]`, wrist in its range),
 * then the target moved to `(rho sin(phi), rho cos(phi))` with `phi ~ U(0, 2 pi)` and
 * `rho ~ U(0.05, 0.2)`; the target's position is part of the env's state.
 */
import type { Env } from "../../core/env.ts";
import { DmcEnv } from "./dmc_env.ts";
import { tolerance } from "./rewards.ts";
import { REACHER_XML } from "./assets/reacher.ts";

/** dm_control's target radii by task (`_BIG_TARGET`, `_SMALL_TARGET`). */
export const REACHER_TARGET_SIZES = { easy: 0.05, hard: 0.015 } as const;

/** A reacher task name. */
export type ReacherTask = keyof typeof REACHER_TARGET_SIZES;

/** dm_control's `Reacher` task. */
export class Reacher extends DmcEnv {
  /** The target's radius. */
  readonly targetSize: number;
  private readonly finger: number;
  private readonly target: number;

  /** Builds the task; `params` are the common DMC parameters. */
  constructor(task: ReacherTask, params: Record<string, unknown> = {}) {
    super({
      id: `dmc/reacher-${task}`,
      xml: REACHER_XML,
      nSubSteps: 1,
      observation: [
        { key: "position", size: 2 },
        { key: "to_target", size: 2 },
        { key: "velocity", size: 2 },
      ],
    }, params);
    this.targetSize = REACHER_TARGET_SIZES[task];
    this.finger = this.objectId("geom", "finger");
    this.target = this.objectId("geom", "target");
    this.reset();
  }

  protected initializeEpisode(): void {
    (this.model.geom_size as Float64Array)[3 * this.target] = this.targetSize;
    this.randomizeLimitedAndRotationalJoints();
    const angle = this.rng.uniformRange(0, 2 * Math.PI);
    const radius = this.rng.uniformRange(0.05, 0.2);
    const pos = this.model.geom_pos as Float64Array;
    pos[3 * this.target] = radius * Math.sin(angle);
    pos[3 * this.target + 1] = radius * Math.cos(angle);
  }

  /** dm_control's `finger_to_target`: the target's x, y minus the finger's (world frame). */
  fingerToTarget(): [number, number] {
    const p = this.field("geom_xpos");
    const t = 3 * this.target;
    const f = 3 * this.finger;
    return [p[t] - p[f], p[t + 1] - p[f + 1]];
  }

  protected observe(out: Float32Array): void {
    const qpos = this.field("qpos");
    const qvel = this.field("qvel");
    const [dx, dy] = this.fingerToTarget();
    out[0] = qpos[0];
    out[1] = qpos[1];
    out[2] = dx;
    out[3] = dy;
    out[4] = qvel[0];
    out[5] = qvel[1];
  }

  reward(): number {
    const size = this.model.geom_size as Float64Array;
    const radii = size[3 * this.target] + size[3 * this.finger];
    const [dx, dy] = this.fingerToTarget();
    return tolerance(Math.hypot(dx, dy), { bounds: [0, radii] });
  }

  protected override taskState(): number[] {
    const pos = this.model.geom_pos as Float64Array;
    return [pos[3 * this.target], pos[3 * this.target + 1]];
  }

  protected override loadTaskState(values: number[]): void {
    if (values.length !== 2) {
      throw new Error(`${this.id}.load: expected task = the target's position [x, y]`);
    }
    (this.model.geom_pos as Float64Array).set(values, 3 * this.target);
  }
}

/** Env factories for the registry. */
export const createReacherEasy = (params: Record<string, unknown>): Env =>
  new Reacher("easy", params);
/** The small target. */
export const createReacherHard = (params: Record<string, unknown>): Env =>
  new Reacher("hard", params);

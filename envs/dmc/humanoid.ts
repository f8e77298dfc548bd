/**
 * `dmc/humanoid-{stand,walk,run}` (dm_control `humanoid.*`, not `run_pure_state`): a 21-joint
 * humanoid stands (head above 1.4 m), walks (1 m/s) or runs (10 m/s). Control timestep
 * 0.025 s (5 physics steps of 0.005 s).
 *
 * Observation (67): `joint_angles` (21: qpos[7:]), `head_height` (1: the head's z),
 * `extremities` (12: left hand, left foot, right hand, right foot, each `(x - torso) . R` in the
 * torso's frame), `torso_vertical` (3: torso `zx`, `zy`, `zz`), `com_velocity` (3: the
 * `torso_subtreelinvel` sensor), `velocity` (27: qvel).
 * Reward: `small_control * standing * upright * move` with
 * `standing = tolerance(head z, bounds=(1.4, inf), margin=0.35)`,
 * `upright = tolerance(torso zz, bounds=(0.9, inf), margin=1.9, value_at_margin=0, linear)`,
 * `small_control = (4 + mean_i tolerance(ctrl_i, margin=1, value_at_margin=0, quadratic)) / 5`;
 * stand: `move = mean(tolerance(v_x, margin=2), tolerance(v_y, margin=2))`; walk and run:
 * `move = (5 * tolerance(|v_xy|, bounds=(speed, inf), margin=speed, value_at_margin=0, linear)
 * + 1) / 6`, `v` the centre of mass's velocity.
 * Initial state: `randomize_limited_and_rotational_joints` (the root's position stays at 1.5 m,
 * its orientation from `U(0, 1)^4` normalised), drawn again until `mj_forward` finds no contact.
 */
import type { Env } from "../../core/env.ts";
import { DmcEnv } from "./dmc_env.ts";
import { tolerance } from "./rewards.ts";
import { HUMANOID_XML } from "./assets/humanoid.ts";

/** dm_control's `_STAND_HEIGHT`: head height above which the stand reward is 1. */
export const HUMANOID_STAND_HEIGHT = 1.4;

/** dm_control's target speeds by task. */
export const HUMANOID_SPEEDS = { stand: 0, walk: 1, run: 10 } as const;

/** A humanoid task name. */
export type HumanoidTask = keyof typeof HUMANOID_SPEEDS;

/** The extremities in dm_control's order (sides left, right; limbs hand, foot). */
const EXTREMITIES = ["left_hand", "left_foot", "right_hand", "right_foot"] as const;

/**
 * Initial draws before giving up on a contact-free pose; dm_control loops without bound, but
 * a pose without contact is found in a few draws (the root stands at 1.5 m).
 */
const MAX_INITIAL_DRAWS = 10_000;

/** dm_control's `Humanoid` task with the egocentric features (`pure_state=False`). */
export class Humanoid extends DmcEnv {
  /** Target horizontal speed; 0 rewards standing still. */
  readonly moveSpeed: number;
  private readonly torso: number;
  private readonly head: number;
  private readonly limbs: number[];
  private readonly comSensor: number;

  /** Builds the task; `params` are the common DMC parameters. */
  constructor(task: HumanoidTask, params: Record<string, unknown> = {}) {
    super({
      id: `dmc/humanoid-${task}`,
      xml: HUMANOID_XML,
      nSubSteps: 5,
      observation: [
        { key: "joint_angles", size: 21 },
        { key: "head_height", size: 1 },
        { key: "extremities", size: 12 },
        { key: "torso_vertical", size: 3 },
        { key: "com_velocity", size: 3 },
        { key: "velocity", size: 27 },
      ],
    }, params);
    this.moveSpeed = HUMANOID_SPEEDS[task];
    this.torso = this.bodyId("torso");
    this.head = this.bodyId("head");
    this.limbs = EXTREMITIES.map((b) => this.bodyId(b));
    this.comSensor = this.sensorAddress("torso_subtreelinvel");
    this.reset();
  }

  protected initializeEpisode(): void {
    // Find a collision-free random initial configuration.
    for (let draw = 0; draw < MAX_INITIAL_DRAWS; draw++) {
      this.randomizeLimitedAndRotationalJoints();
      this.mj.mj_forward(this.model, this.data);
      if (this.data.ncon === 0) return;
    }
    throw new Error(`${this.id}: no contact-free initial pose in ${MAX_INITIAL_DRAWS} draws`);
  }

  /** The head's height. */
  headHeight(): number {
    return this.field("xpos")[3 * this.head + 2];
  }

  /** The torso frame's `zz`: 1 when upright. */
  torsoUpright(): number {
    return this.xmat(this.torso, "zz");
  }

  /** The centre of mass's velocity (x, y, z). */
  centerOfMassVelocity(): [number, number, number] {
    const s = this.field("sensordata");
    const a = this.comSensor;
    return [s[a], s[a + 1], s[a + 2]];
  }

  /** dm_control's `extremities`: hand and foot positions in the torso's frame, into `out`. */
  private extremities(out: Float32Array, offset: number): void {
    const xpos = this.field("xpos");
    const xmat = this.field("xmat");
    const t = this.torso;
    let o = offset;
    for (const b of this.limbs) {
      const d = [0, 1, 2].map((i) => xpos[3 * b + i] - xpos[3 * t + i]);
      // row vector times the torso's row-major rotation matrix
      for (let j = 0; j < 3; j++) {
        out[o++] = d[0] * xmat[9 * t + j] + d[1] * xmat[9 * t + 3 + j] +
          d[2] * xmat[9 * t + 6 + j];
      }
    }
  }

  protected observe(out: Float32Array): void {
    const qpos = this.field("qpos");
    let o = 0;
    for (let i = 7; i < this.nq; i++) out[o++] = qpos[i];
    out[o++] = this.headHeight();
    this.extremities(out, o);
    o += 12;
    out[o++] = this.xmat(this.torso, "zx");
    out[o++] = this.xmat(this.torso, "zy");
    out[o++] = this.xmat(this.torso, "zz");
    for (const v of this.centerOfMassVelocity()) out[o++] = v;
    const qvel = this.field("qvel");
    for (let i = 0; i < this.nv; i++) out[o++] = qvel[i];
  }

  reward(): number {
    const standing = tolerance(this.headHeight(), {
      bounds: [HUMANOID_STAND_HEIGHT, Infinity],
      margin: HUMANOID_STAND_HEIGHT / 4,
    });
    const upright = tolerance(this.torsoUpright(), {
      bounds: [0.9, Infinity],
      sigmoid: "linear",
      margin: 1.9,
      valueAtMargin: 0,
    });
    const ctrl = this.field("ctrl");
    let control = 0;
    for (let i = 0; i < this.nu; i++) {
      control += tolerance(ctrl[i], { margin: 1, valueAtMargin: 0, sigmoid: "quadratic" });
    }
    const smallControl = (4 + control / this.nu) / 5;
    const [vx, vy] = this.centerOfMassVelocity();
    let move: number;
    if (this.moveSpeed === 0) {
      move = (tolerance(vx, { margin: 2 }) + tolerance(vy, { margin: 2 })) / 2;
    } else {
      const speed = tolerance(Math.hypot(vx, vy), {
        bounds: [this.moveSpeed, Infinity],
        margin: this.moveSpeed,
        valueAtMargin: 0,
        sigmoid: "linear",
      });
      move = (5 * speed + 1) / 6;
    }
    return smallControl * (standing * upright) * move;
  }
}

/** Env factories for the registry. */
export const createHumanoidStand = (params: Record<string, unknown>): Env =>
  new Humanoid("stand", params);
/** Walk at 1 m/s. */
export const createHumanoidWalk = (params: Record<string, unknown>): Env =>
  new Humanoid("walk", params);
/** Run at 10 m/s. */
export const createHumanoidRun = (params: Record<string, unknown>): Env =>
  new Humanoid("run", params);

/**
 * `dmc/finger-spin` (dm_control `finger.spin`): a two-joint planar finger flicks a body on
 * an unactuated hinge into fast rotation. Control timestep 0.02 s (2 physics steps of
 * 0.01 s). Every observation is read from the model's sensors.
 *
 * Observation (9): `position` (4: proximal and distal joint angles, then the spinner tip's
 * x and z relative to the spinner's frame), `velocity` (3: proximal, distal and hinge joint
 * velocities), `touch` (2: `log1p` of the top and bottom fingertip touch sensors).
 * Reward: 1 when the hinge turns at -15 rad/s or faster (clockwise as dm_control counts it),
 * else 0.
 * Initial state: the hinge's damping is set to 0.03 (dm_control does so every episode; the
 * value never changes, so here once at construction), then joints are drawn by
 * `randomize_limited_and_rotational_joints` until the pose has no contact (at most 1000
 * draws).
 */
import type { Env } from "../../core/env.ts";
import { DmcEnv } from "./dmc_env.ts";
import { FINGER_XML } from "./assets/finger.ts";

/** dm_control's `_SPIN_VELOCITY` (rad/s). */
export const FINGER_SPIN_VELOCITY = 15;

/** Finger spin. */
export class FingerSpin extends DmcEnv {
  private readonly proximal: number;
  private readonly distal: number;
  private readonly proximalVelocity: number;
  private readonly distalVelocity: number;
  private readonly hingeVelocity: number;
  private readonly tip: number;
  private readonly spinner: number;
  private readonly touchTop: number;
  private readonly touchBottom: number;

  /** Builds the env; `params` are the common DMC parameters. */
  constructor(params: Record<string, unknown> = {}) {
    super({
      id: "dmc/finger-spin",
      xml: FINGER_XML,
      nSubSteps: 2,
      observation: [
        { key: "position", size: 4 },
        { key: "velocity", size: 3 },
        { key: "touch", size: 2 },
      ],
    }, params);
    this.proximal = this.sensorAddress("proximal");
    this.distal = this.sensorAddress("distal");
    this.proximalVelocity = this.sensorAddress("proximal_velocity");
    this.distalVelocity = this.sensorAddress("distal_velocity");
    this.hingeVelocity = this.sensorAddress("hinge_velocity");
    this.tip = this.sensorAddress("tip");
    this.spinner = this.sensorAddress("spinner");
    this.touchTop = this.sensorAddress("touchtop");
    this.touchBottom = this.sensorAddress("touchbottom");
    const hinge = this.objectId("joint", "hinge");
    const dof = (this.model.jnt_dofadr as Int32Array)[hinge];
    (this.model.dof_damping as Float64Array)[dof] = 0.03;
    this.reset();
  }

  protected initializeEpisode(): void {
    for (let attempt = 0; attempt < 1000; attempt++) {
      this.randomizeLimitedAndRotationalJoints();
      this.mj.mj_forward(this.model, this.data);
      if (this.data.ncon === 0) return;
    }
    throw new Error(`${this.id}: no collision-free initial state after 1000 draws`);
  }

  /** Velocity of the spinner's hinge (sensor). */
  hingeSpeed(): number {
    return this.field("sensordata")[this.hingeVelocity];
  }

  protected observe(out: Float32Array): void {
    const s = this.field("sensordata");
    out[0] = s[this.proximal];
    out[1] = s[this.distal];
    out[2] = s[this.tip] - s[this.spinner];
    out[3] = s[this.tip + 2] - s[this.spinner + 2];
    out[4] = s[this.proximalVelocity];
    out[5] = s[this.distalVelocity];
    out[6] = s[this.hingeVelocity];
    out[7] = Math.log1p(s[this.touchTop]);
    out[8] = Math.log1p(s[this.touchBottom]);
  }

  reward(): number {
    return this.hingeSpeed() <= -FINGER_SPIN_VELOCITY ? 1 : 0;
  }
}

/** Env factory for the registry. */
export function createFingerSpin(params: Record<string, unknown>): Env {
  return new FingerSpin(params);
}

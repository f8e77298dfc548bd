/**
 * `dmc/fish-swim` (dm_control `fish.swim`): a fish in a viscous fluid swims its mouth to a
 * target placed at random. Control timestep 0.04 s (10 physics steps of 0.004 s).
 *
 * Observation (24): `joint_angles` (7: tail1, tail_twist, tail2, finright_roll,
 * finright_pitch, finleft_roll, finleft_pitch), `upright` (1: torso `zz`), `target` (3: the
 * mouth-to-target vector in the mouth's frame), `velocity` (13: qvel).
 * Reward: `(7 * in_target + is_upright) / 8` with
 * `in_target = tolerance(|target|, bounds=(0, r), margin=2r)`, `r` the sum of the mouth's and
 * the target's radii, and `is_upright = (1 + torso zz) / 2`.
 * Initial state: the root's orientation a normalised Gaussian quaternion, each of the seven
 * joints `U(-0.2, 0.2)`, and the target geom moved to `x, y ~ U(-0.4, 0.4)`,
 * `z ~ U(0.1, 0.3)`; the target's position is part of the env's state.
 */
import type { Env } from "../../core/env.ts";
import { DmcEnv } from "./dmc_env.ts";
import { tolerance } from "./rewards.ts";
import { FISH_XML } from "./assets/fish.ts";

/** dm_control's `_JOINTS`: the observed joints, in order. */
export const FISH_JOINTS = [
  "tail1",
  "tail_twist",
  "tail2",
  "finright_roll",
  "finright_pitch",
  "finleft_roll",
  "finleft_pitch",
] as const;

/** Fish swim. */
export class FishSwim extends DmcEnv {
  private readonly torso: number;
  private readonly mouth: number;
  private readonly target: number;
  private readonly root: number;
  private readonly joints: number[];

  /** Builds the env; `params` are the common DMC parameters. */
  constructor(params: Record<string, unknown> = {}) {
    super({
      id: "dmc/fish-swim",
      xml: FISH_XML,
      nSubSteps: 10,
      observation: [
        { key: "joint_angles", size: 7 },
        { key: "upright", size: 1 },
        { key: "target", size: 3 },
        { key: "velocity", size: 13 },
      ],
    }, params);
    this.torso = this.bodyId("torso");
    this.mouth = this.objectId("geom", "mouth");
    this.target = this.objectId("geom", "target");
    this.root = this.qposAddress("root");
    this.joints = FISH_JOINTS.map((j) => this.qposAddress(j));
    this.reset();
  }

  protected initializeEpisode(): void {
    const qpos = this.field("qpos");
    const quat = [0, 0, 0, 0].map(() => this.rng.normal());
    const norm = Math.hypot(...quat);
    for (let i = 0; i < 4; i++) qpos[this.root + 3 + i] = quat[i] / norm;
    for (const j of this.joints) qpos[j] = this.rng.uniformRange(-0.2, 0.2);
    const pos = this.model.geom_pos as Float64Array;
    pos[3 * this.target] = this.rng.uniformRange(-0.4, 0.4);
    pos[3 * this.target + 1] = this.rng.uniformRange(-0.4, 0.4);
    pos[3 * this.target + 2] = this.rng.uniformRange(0.1, 0.3);
  }

  /** The torso frame's `zz`: 1 when upright. */
  upright(): number {
    return this.xmat(this.torso, "zz");
  }

  /** The mouth-to-target vector in the mouth's frame, into `out` (length 3). */
  mouthToTarget(out: Float64Array | Float32Array, offset = 0): void {
    const p = this.field("geom_xpos");
    const m = this.field("geom_xmat");
    const t = 3 * this.target;
    const s = 3 * this.mouth;
    const d = [p[t] - p[s], p[t + 1] - p[s + 1], p[t + 2] - p[s + 2]];
    // dm_control: global vector dot the mouth's row-major rotation matrix.
    for (let j = 0; j < 3; j++) {
      out[offset + j] = d[0] * m[9 * this.mouth + j] + d[1] * m[9 * this.mouth + 3 + j] +
        d[2] * m[9 * this.mouth + 6 + j];
    }
  }

  protected observe(out: Float32Array): void {
    const qpos = this.field("qpos");
    let o = 0;
    for (const j of this.joints) out[o++] = qpos[j];
    out[o++] = this.upright();
    this.mouthToTarget(out, o);
    o += 3;
    const qvel = this.field("qvel");
    for (let i = 0; i < this.nv; i++) out[o++] = qvel[i];
  }

  private readonly toTarget = new Float64Array(3);

  reward(): number {
    const size = this.model.geom_size as Float64Array;
    const radii = size[3 * this.mouth] + size[3 * this.target];
    this.mouthToTarget(this.toTarget);
    const [x, y, z] = this.toTarget;
    const inTarget = tolerance(Math.hypot(x, y, z), { bounds: [0, radii], margin: 2 * radii });
    const isUpright = 0.5 * (this.upright() + 1);
    return (7 * inTarget + isUpright) / 8;
  }

  protected override taskState(): number[] {
    const pos = this.model.geom_pos as Float64Array;
    return Array.from(pos.subarray(3 * this.target, 3 * this.target + 3));
  }

  protected override loadTaskState(values: number[]): void {
    if (values.length !== 3) {
      throw new Error(`${this.id}.load: expected task = the target's position [x, y, z]`);
    }
    (this.model.geom_pos as Float64Array).set(values, 3 * this.target);
  }
}

/** Env factory for the registry. */
export function createFishSwim(params: Record<string, unknown>): Env {
  return new FishSwim(params);
}

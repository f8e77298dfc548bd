/**
 * `dmc/acrobot-swingup[-sparse]` (dm_control `acrobot.*`): a two-link pendulum actuated at
 * the elbow swings its tip into a target above the shoulder. Control timestep 0.01 s (one RK4
 * physics step).
 *
 * Observation (6): `orientations` (4: `xz` of the upper and lower arm frames, then their
 * `zz`), `velocity` (2: qvel).
 * Reward: `tolerance(|target - tip|, bounds=(0, target radius 0.2), margin=1)` (gaussian);
 * the sparse task uses margin 0.
 * Initial state: shoulder and elbow uniform in `[-pi, pi)`, at rest.
 */
import type { Env } from "../../core/env.ts";
import { DmcEnv } from "./dmc_env.ts";
import { tolerance } from "./rewards.ts";
import { ACROBOT_XML } from "./assets/acrobot.ts";

/** dm_control's acrobot `Balance` task. */
export class Acrobot extends DmcEnv {
  /** Indicator reward (margin 0) instead of the smooth one. */
  readonly sparse: boolean;
  private readonly upper: number;
  private readonly lower: number;
  private readonly target: number;
  private readonly tip: number;
  private readonly shoulder: number;
  private readonly elbow: number;

  /** Builds the task; `params` are the common DMC parameters. */
  constructor(sparse: boolean, params: Record<string, unknown> = {}) {
    super({
      id: `dmc/acrobot-swingup${sparse ? "-sparse" : ""}`,
      xml: ACROBOT_XML,
      nSubSteps: 1,
      observation: [{ key: "orientations", size: 4 }, { key: "velocity", size: 2 }],
    }, params);
    this.sparse = sparse;
    this.upper = this.bodyId("upper_arm");
    this.lower = this.bodyId("lower_arm");
    this.target = this.objectId("site", "target");
    this.tip = this.objectId("site", "tip");
    this.shoulder = this.qposAddress("shoulder");
    this.elbow = this.qposAddress("elbow");
    this.reset();
  }

  protected initializeEpisode(): void {
    const qpos = this.field("qpos");
    qpos[this.shoulder] = this.rng.uniformRange(-Math.PI, Math.PI);
    qpos[this.elbow] = this.rng.uniformRange(-Math.PI, Math.PI);
  }

  /** Distance from the tip to the target's centre. */
  toTarget(): number {
    const p = this.field("site_xpos");
    const t = 3 * this.target;
    const s = 3 * this.tip;
    return Math.hypot(p[t] - p[s], p[t + 1] - p[s + 1], p[t + 2] - p[s + 2]);
  }

  protected observe(out: Float32Array): void {
    out[0] = this.xmat(this.upper, "xz");
    out[1] = this.xmat(this.lower, "xz");
    out[2] = this.xmat(this.upper, "zz");
    out[3] = this.xmat(this.lower, "zz");
    const qvel = this.field("qvel");
    out[4] = qvel[0];
    out[5] = qvel[1];
  }

  reward(): number {
    const radius = (this.model.site_size as Float64Array)[3 * this.target];
    return tolerance(this.toTarget(), { bounds: [0, radius], margin: this.sparse ? 0 : 1 });
  }
}

/** Env factories for the registry. */
export const createAcrobotSwingup = (params: Record<string, unknown>): Env =>
  new Acrobot(false, params);
/** Sparse swing-up. */
export const createAcrobotSwingupSparse = (params: Record<string, unknown>): Env =>
  new Acrobot(true, params);

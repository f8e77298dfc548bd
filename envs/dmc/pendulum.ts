/**
 * `dmc/pendulum-swingup` (dm_control `pendulum.swingup`): swing a torque-limited pendulum up
 * and keep it within 8 degrees of upright. Control timestep 0.02 s (one physics step).
 *
 * Observation (3): `orientation` (2: the pole frame's `zz`, `xz`), `velocity` (1: the hinge's).
 * Reward: `tolerance(pole zz, bounds=(cos 8°, 1))`, 1 when upright, else 0.
 * Initial state: the hinge uniform in `[-pi, pi)`, at rest.
 */
import type { Env } from "../../core/env.ts";
import { DmcEnv } from "./dmc_env.ts";
import { tolerance } from "./rewards.ts";
import { PENDULUM_XML } from "./assets/pendulum.ts";

/** dm_control's `_ANGLE_BOUND` (degrees) as its cosine. */
const COSINE_BOUND = Math.cos((8 * Math.PI) / 180);

/** Pendulum swing-up. */
export class PendulumSwingup extends DmcEnv {
  private readonly pole: number;
  private readonly hinge: number;

  /** Builds the env; `params` are the common DMC parameters. */
  constructor(params: Record<string, unknown> = {}) {
    super({
      id: "dmc/pendulum-swingup",
      xml: PENDULUM_XML,
      nSubSteps: 1,
      observation: [{ key: "orientation", size: 2 }, { key: "velocity", size: 1 }],
    }, params);
    this.pole = this.bodyId("pole");
    this.hinge = this.qposAddress("hinge");
    this.reset();
  }

  protected initializeEpisode(): void {
    this.field("qpos")[this.hinge] = this.rng.uniformRange(-Math.PI, Math.PI);
  }

  protected observe(out: Float32Array): void {
    out[0] = this.xmat(this.pole, "zz");
    out[1] = this.xmat(this.pole, "xz");
    out[2] = this.field("qvel")[0];
  }

  reward(): number {
    return tolerance(this.xmat(this.pole, "zz"), { bounds: [COSINE_BOUND, 1] });
  }
}

/** Env factory for the registry. */
export function createPendulumSwingup(params: Record<string, unknown>): Env {
  return new PendulumSwingup(params);
}

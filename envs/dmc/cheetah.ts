/**
 * `dmc/cheetah-run` (dm_control `cheetah.run`): the planar cheetah runs forward. Control
 * timestep 0.01 s (one physics step).
 *
 * Observation (17): `position` (8: qpos[1:], the horizontal position left out), `velocity`
 * (9: qvel).
 * Reward: `tolerance(speed, bounds=(10, inf), margin=10, value_at_margin=0, linear)` with
 * `speed` the torso subtree's linear velocity along x (the `torso_subtreelinvel` sensor):
 * `speed / 10` clipped to `[0, 1]`.
 * Initial state: every limited joint uniform in its range, then 200 physics steps with zero
 * control to let the body settle, and the clock set back to 0.
 */
import type { Env } from "../../core/env.ts";
import { DmcEnv } from "./dmc_env.ts";
import { tolerance } from "./rewards.ts";
import { CHEETAH_XML } from "./assets/cheetah.ts";

/** dm_control's `_RUN_SPEED`: running speed above which the reward is 1. */
export const CHEETAH_RUN_SPEED = 10;

/** Cheetah run. */
export class CheetahRun extends DmcEnv {
  private readonly speedSensor: number;

  /** Builds the env; `params` are the common DMC parameters. */
  constructor(params: Record<string, unknown> = {}) {
    super({
      id: "dmc/cheetah-run",
      xml: CHEETAH_XML,
      nSubSteps: 1,
      observation: [{ key: "position", size: 8 }, { key: "velocity", size: 9 }],
    }, params);
    this.speedSensor = this.sensorAddress("torso_subtreelinvel");
    this.reset();
  }

  protected initializeEpisode(): void {
    // Every joint has one degree of freedom, so joint j is qpos[j].
    const range = this.model.jnt_range as Float64Array;
    const qpos = this.field("qpos");
    for (let j = 0; j < this.model.njnt; j++) {
      if (this.jointLimited(j)) qpos[j] = this.rng.uniformRange(range[2 * j], range[2 * j + 1]);
    }
    // Stabilise the model before the actual simulation.
    this.physicsStep(200);
    this.data.time = 0;
  }

  protected observe(out: Float32Array): void {
    this.observeState(out, 1);
  }

  /** Horizontal speed of the torso subtree. */
  speed(): number {
    return this.field("sensordata")[this.speedSensor];
  }

  reward(): number {
    return tolerance(this.speed(), {
      bounds: [CHEETAH_RUN_SPEED, Infinity],
      margin: CHEETAH_RUN_SPEED,
      valueAtMargin: 0,
      sigmoid: "linear",
    });
  }
}

/** Env factory for the registry. */
export function createCheetahRun(params: Record<string, unknown>): Env {
  return new CheetahRun(params);
}

/**
 * `Hopper-v4`: Gymnasium's one-legged hopper. Observation (11): `qpos[1:]` (5) and
 * `clip(qvel, -10, 10)` (6). Action (3) in `[-1, 1]`. Reward: `forwardRewardWeight * x_velocity
 * + healthyReward - ctrlCostWeight * |a|^2`, with `x_velocity` the finite difference of
 * `qpos[0]` over `dt = 0.008`. Healthy when every `qpos[2:]`/`qvel` entry is strictly inside
 * (-100, 100), `0.7 < z < inf` and `-0.2 < angle < 0.2` (`z, angle = qpos[1:3]`); unhealthy
 * terminates. Reset noise `U(-0.005, 0.005)` on qpos and qvel.
 */
import type { Env } from "../../core/env.ts";
import { type Schema, validate, type ValuesOf } from "../../core/schema.ts";
import { HOPPER_XML } from "./assets/hopper.ts";
import { LocomotionEnv, locomotionSchema } from "./locomotion.ts";

/** Options `envParams` may set (Gymnasium's keyword arguments, camel-cased). */
export const HOPPER_PARAMS = {
  ...locomotionSchema({
    forwardRewardWeight: 1,
    ctrlCostWeight: 1e-3,
    healthyReward: 1,
    resetNoiseScale: 5e-3,
  }),
  healthyStateMin: { type: "number", default: -100 },
  healthyStateMax: { type: "number", default: 100 },
  healthyZMin: { type: "number", default: 0.7, doc: "healthy when z is above (no upper bound)" },
  healthyAngleMin: { type: "number", default: -0.2 },
  healthyAngleMax: { type: "number", default: 0.2 },
} as const satisfies Schema;

/** Validated {@link HOPPER_PARAMS}. */
export type HopperParams = ValuesOf<typeof HOPPER_PARAMS>;

/** Hopper-v4. */
export class Hopper extends LocomotionEnv {
  readonly params: HopperParams;

  /** Builds the env; `options` are checked against {@link HOPPER_PARAMS}. */
  constructor(options: Record<string, unknown> = {}) {
    const params = validate(HOPPER_PARAMS, options, "envParams");
    super({
      id: "Hopper-v4",
      xml: HOPPER_XML,
      frameSkip: 4,
      obsDim: 11,
      velocityNoise: "uniform",
      reportsY: false,
      healthTerm: true,
    }, params);
    this.params = params;
    this.reset();
  }

  /** Gymnasium's `is_healthy`. */
  isHealthy(): boolean {
    const p = this.params;
    const qpos = this.field("qpos");
    const qvel = this.field("qvel");
    const z = qpos[1];
    const angle = qpos[2];
    for (let i = 2; i < this.nq; i++) {
      if (!(p.healthyStateMin < qpos[i] && qpos[i] < p.healthyStateMax)) return false;
    }
    for (let i = 0; i < this.nv; i++) {
      if (!(p.healthyStateMin < qvel[i] && qvel[i] < p.healthyStateMax)) return false;
    }
    return p.healthyZMin < z && p.healthyAngleMin < angle &&
      angle < p.healthyAngleMax;
  }

  protected observe(out: Float32Array): void {
    this.observeState(out, 1, 10);
  }
}

/** Env factory for the registry. */
export function createHopper(params: Record<string, unknown>): Env {
  return new Hopper(params);
}

/**
 * `Walker2d-v4`: Gymnasium's planar two-legged walker. Observation (17): `qpos[1:]` (8) and
 * `clip(qvel, -10, 10)` (9). Action (6) in `[-1, 1]`. Reward: `forwardRewardWeight * x_velocity
 * + healthyReward - ctrlCostWeight * |a|^2`, with `x_velocity` the finite difference of
 * `qpos[0]` over `dt = 0.008` (frame skip 4 of 0.002 s). Healthy when `0.8 < z < 2` and
 * `-1 < angle < 1` (`z, angle = qpos[1:3]`, strict as in Gymnasium's code; no other state
 * check); unhealthy terminates. Reset noise `U(-0.005, 0.005)` on qpos and qvel.
 */
import type { Env } from "../../core/env.ts";
import { type Schema, validate, type ValuesOf } from "../../core/schema.ts";
import { WALKER2D_XML } from "./assets/walker2d.ts";
import { LocomotionEnv, locomotionSchema } from "./locomotion.ts";

/** Options `envParams` may set (Gymnasium's keyword arguments, camel-cased). */
export const WALKER2D_PARAMS = {
  ...locomotionSchema({
    forwardRewardWeight: 1,
    ctrlCostWeight: 1e-3,
    healthyReward: 1,
    resetNoiseScale: 5e-3,
  }),
  healthyZMin: { type: "number", default: 0.8 },
  healthyZMax: { type: "number", default: 2 },
  healthyAngleMin: { type: "number", default: -1 },
  healthyAngleMax: { type: "number", default: 1 },
} as const satisfies Schema;

/** Validated {@link WALKER2D_PARAMS}. */
export type Walker2dParams = ValuesOf<typeof WALKER2D_PARAMS>;

/** Walker2d-v4. */
export class Walker2d extends LocomotionEnv {
  readonly params: Walker2dParams;

  /** Builds the env; `options` are checked against {@link WALKER2D_PARAMS}. */
  constructor(options: Record<string, unknown> = {}) {
    const params = validate(WALKER2D_PARAMS, options, "envParams");
    super({
      id: "Walker2d-v4",
      xml: WALKER2D_XML,
      frameSkip: 4,
      obsDim: 17,
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
    const z = qpos[1];
    const angle = qpos[2];
    return p.healthyZMin < z && z < p.healthyZMax && p.healthyAngleMin < angle &&
      angle < p.healthyAngleMax;
  }

  protected observe(out: Float32Array): void {
    this.observeState(out, 1, 10);
  }
}

/** Env factory for the registry. */
export function createWalker2d(params: Record<string, unknown>): Env {
  return new Walker2d(params);
}

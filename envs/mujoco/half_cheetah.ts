/**
 * `HalfCheetah-v4`: Gymnasium's planar cheetah. Observation (17): `qpos[1:]` (8) and `qvel` (9),
 * unclipped. Action (6) in `[-1, 1]`. Reward: `forwardRewardWeight * x_velocity - ctrlCostWeight
 * * |a|^2`, with `x_velocity` the finite difference of `qpos[0]` over `dt = 0.05` (frame skip 5
 * of 0.01 s). Never terminates; the episode only truncates at step 1000. Reset noise
 * `U(-0.1, 0.1)` on qpos and `0.1 * N(0, 1)` on qvel. Gymnasium names the forward term
 * `reward_run` in `info`; here it is `reward_forward`, as for the other MuJoCo tasks.
 */
import type { Env } from "../../core/env.ts";
import { type Schema, validate, type ValuesOf } from "../../core/schema.ts";
import { HALF_CHEETAH_XML } from "./assets/half_cheetah.ts";
import { LocomotionEnv } from "./locomotion.ts";

/** Options `envParams` may set (Gymnasium's keyword arguments, camel-cased). */
export const HALF_CHEETAH_PARAMS = {
  forwardRewardWeight: { type: "number", default: 1 },
  ctrlCostWeight: { type: "number", min: 0, default: 0.1 },
  resetNoiseScale: { type: "number", min: 0, default: 0.1 },
} as const satisfies Schema;

/** Validated {@link HALF_CHEETAH_PARAMS}. */
export type HalfCheetahParams = ValuesOf<typeof HALF_CHEETAH_PARAMS>;

/** HalfCheetah-v4. */
export class HalfCheetah extends LocomotionEnv {
  readonly params: HalfCheetahParams;

  /** Builds the env; `options` are checked against {@link HALF_CHEETAH_PARAMS}. */
  constructor(options: Record<string, unknown> = {}) {
    const params = validate(HALF_CHEETAH_PARAMS, options, "envParams");
    super({
      id: "HalfCheetah-v4",
      xml: HALF_CHEETAH_XML,
      frameSkip: 5,
      obsDim: 17,
      velocityNoise: "normal",
      reportsY: false,
      healthTerm: false,
    }, { ...params, healthyReward: 0, terminateWhenUnhealthy: false });
    this.params = params;
    this.reset();
  }

  /** HalfCheetah has no healthy condition: it never terminates. */
  isHealthy(): boolean {
    return true;
  }

  protected observe(out: Float32Array): void {
    this.observeState(out, 1);
  }
}

/** Env factory for the registry. */
export function createHalfCheetah(params: Record<string, unknown>): Env {
  return new HalfCheetah(params);
}

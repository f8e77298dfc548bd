/**
 * `Humanoid-v4`: Gymnasium's 3D biped. Observation (376): `qpos[2:]` (22), `qvel` (23),
 * `cinert` (14 bodies x 10, the world included), `cvel` (14 x 6), `qfrc_actuator` (23) and
 * `cfrc_ext` (14 x 6), none clipped; `excludeCurrentPositionsFromObservation: false` prepends
 * the torso's x and y (378). Action (17) in `[-0.4, 0.4]`. Reward: `forwardRewardWeight *
 * x_velocity + healthyReward - ctrlCostWeight * |ctrl|^2` (`ctrl` is the action as written to
 * the engine, not clamped; v4 has no contact cost), with `x_velocity` the finite difference over
 * `dt = 0.015` of the mass centre's x (`sum(body_mass * xipos) / sum(body_mass)` as the engine
 * left it after the previous step). Healthy when `1.0 < z < 2.0` (`z = qpos[2]`, both bounds
 * excluded); unhealthy terminates. Reset noise `U(-0.01, 0.01)` on qpos and qvel. Five physics
 * steps of 0.003 s per env step.
 *
 * `info` holds `x_position`, `y_position` (the mass centre's), `distance_from_origin`,
 * `x_velocity`, `y_velocity`, `reward_forward`, `reward_ctrl` and `reward_healthy` (Gymnasium's
 * `reward_linvel`, `reward_quadctrl` and `reward_alive`).
 */
import type { Env } from "../../core/env.ts";
import { type Schema, validate, type ValuesOf } from "../../core/schema.ts";
import { HUMANOID_XML } from "./assets/humanoid.ts";
import { LocomotionEnv, locomotionSchema } from "./locomotion.ts";
import { putClipped } from "./mujoco_env.ts";

/** Options `envParams` may set (Gymnasium's keyword arguments, camel-cased). */
export const HUMANOID_PARAMS = {
  ...locomotionSchema({
    forwardRewardWeight: 1.25,
    ctrlCostWeight: 0.1,
    healthyReward: 5,
    resetNoiseScale: 1e-2,
  }),
  healthyZMin: { type: "number", default: 1, doc: "healthy when min < z < max" },
  healthyZMax: { type: "number", default: 2 },
  excludeCurrentPositionsFromObservation: { type: "boolean", default: true },
} as const satisfies Schema;

/** Validated {@link HUMANOID_PARAMS}. */
export type HumanoidParams = ValuesOf<typeof HUMANOID_PARAMS>;

/** Humanoid-v4. */
export class Humanoid extends LocomotionEnv {
  readonly params: HumanoidParams;
  private readonly bodyMass: Float64Array;
  private readonly totalMass: number;
  /** Mass-centre xy position read after the last reset, setState, load or step. */

  /** Builds the env; `options` are checked against {@link HUMANOID_PARAMS}. */
  constructor(options: Record<string, unknown> = {}) {
    const params = validate(HUMANOID_PARAMS, options, "envParams");
    const obsDim = params.excludeCurrentPositionsFromObservation ? 376 : 378;
    super({
      id: "Humanoid-v4",
      xml: HUMANOID_XML,
      frameSkip: 5,
      obsDim,
      velocityNoise: "uniform",
      reportsY: true,
      healthTerm: true,
    }, params);
    this.params = params;
    this.bodyMass = Float64Array.from(this.model.body_mass as Float64Array);
    this.totalMass = this.bodyMass.reduce((a, b) => a + b, 0);
    this.reset();
  }

  /** Gymnasium's `is_healthy`: `healthyZMin < qpos[2] < healthyZMax`. */
  isHealthy(): boolean {
    const p = this.params;
    const z = this.field("qpos")[2];
    return p.healthyZMin < z && z < p.healthyZMax;
  }

  /** Gymnasium's `mass_center` now: the xy of `sum(body_mass * xipos) / sum(body_mass)`. */
  massCentre(): [number, number] {
    const xy = new Float64Array(2);
    this.massCentreInto(xy);
    return [xy[0], xy[1]];
  }

  /** The mass centre. */
  protected override readPosition(out: Float64Array): void {
    this.massCentreInto(out);
  }

  protected observe(out: Float32Array): void {
    const from = this.params.excludeCurrentPositionsFromObservation ? 2 : 0;
    let o = this.observeState(out, from);
    o = putClipped(out, o, this.field("cinert"));
    o = putClipped(out, o, this.field("cvel"));
    o = putClipped(out, o, this.field("qfrc_actuator"));
    putClipped(out, o, this.field("cfrc_ext"));
  }

  /** Writes the mass centre's xy from the engine's current `xipos` into `out`. */
  private massCentreInto(out: Float64Array): void {
    const xipos = this.field("xipos");
    const mass = this.bodyMass;
    let x = 0;
    let y = 0;
    for (let b = 0; b < mass.length; b++) {
      x += mass[b] * xipos[3 * b];
      y += mass[b] * xipos[3 * b + 1];
    }
    out[0] = x / this.totalMass;
    out[1] = y / this.totalMass;
  }
}

/** Env factory for the registry. */
export function createHumanoid(params: Record<string, unknown>): Env {
  return new Humanoid(params);
}

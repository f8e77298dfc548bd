/**
 * `Ant-v4`: Gymnasium's four-legged ant. Observation (27): `qpos[2:]` (13) and `qvel` (14);
 * with `useContactForces` also `clip(cfrc_ext, contactForceMin, contactForceMax)` (14 bodies x 6,
 * the world included: 111 in all); `excludeCurrentPositionsFromObservation: false` prepends the
 * torso's x and y. Action (8) in `[-1, 1]`. Reward: `x_velocity + healthyReward - ctrlCostWeight
 * * |a|^2`, and `- contactCostWeight * |clip(cfrc_ext)|^2` only when `useContactForces` (v4's
 * default is off). `x_velocity` is the finite difference over `dt = 0.05` of the torso body's
 * `xpos[0]` as the engine left it after the previous step (Gymnasium's `get_body_com`). Healthy
 * when every `qpos`/`qvel` entry is finite and `0.2 <= z <= 1.0` (`z = qpos[2]`, both bounds
 * included); unhealthy terminates. Reset noise `U(-0.1, 0.1)` on qpos and `0.1 * N(0, 1)` on
 * qvel. Five physics steps of 0.01 s per env step.
 *
 * `info` holds `x_position`, `y_position`, `distance_from_origin`, `x_velocity`, `y_velocity`,
 * `reward_forward`, `reward_ctrl`, `reward_healthy` and, with `useContactForces`,
 * `reward_contact`. (Gymnasium's v4 writes the contact term over `reward_ctrl` in that case; here
 * each term keeps its own key. The reward itself is the same.)
 */
import type { Env } from "../../core/env.ts";
import { type Schema, validate, type ValuesOf } from "../../core/schema.ts";
import { ANT_XML } from "./assets/ant.ts";
import { LocomotionEnv } from "./locomotion.ts";

/** Options `envParams` may set (Gymnasium's keyword arguments, camel-cased). */
export const ANT_PARAMS = {
  ctrlCostWeight: { type: "number", min: 0, default: 0.5 },
  useContactForces: {
    type: "boolean",
    default: false,
    doc: "append the clipped contact forces to the observation and subtract the contact cost",
  },
  contactCostWeight: { type: "number", min: 0, default: 5e-4 },
  healthyReward: { type: "number", default: 1 },
  terminateWhenUnhealthy: { type: "boolean", default: true },
  healthyZMin: { type: "number", default: 0.2, doc: "healthy when min <= z <= max" },
  healthyZMax: { type: "number", default: 1 },
  contactForceMin: { type: "number", default: -1, doc: "contact forces are clipped to [min, max]" },
  contactForceMax: { type: "number", default: 1 },
  resetNoiseScale: { type: "number", min: 0, default: 0.1 },
  excludeCurrentPositionsFromObservation: { type: "boolean", default: true },
} as const satisfies Schema;

/** Validated {@link ANT_PARAMS}. */
export type AntParams = ValuesOf<typeof ANT_PARAMS>;

/** Number of `cfrc_ext` entries: 14 bodies (the world included) x 6. */
const CONTACT_FORCES = 84;

/** Ant-v4. */
export class Ant extends LocomotionEnv {
  readonly params: AntParams;
  private readonly torso: number;
  /** Torso xy position read after the last reset, setState, load or step. */

  /** Builds the env; `options` are checked against {@link ANT_PARAMS}. */
  constructor(options: Record<string, unknown> = {}) {
    const params = validate(ANT_PARAMS, options, "envParams");
    const obsDim = 27 + (params.excludeCurrentPositionsFromObservation ? 0 : 2) +
      (params.useContactForces ? CONTACT_FORCES : 0);
    super(
      {
        id: "Ant-v4",
        xml: ANT_XML,
        frameSkip: 5,
        obsDim,
        velocityNoise: "normal",
        reportsY: true,
        healthTerm: true,
      },
      { ...params, forwardRewardWeight: 1 },
    );
    this.params = params;
    this.torso = this.bodyId("torso");
    this.reset();
  }

  /** Gymnasium's `is_healthy`: qpos and qvel finite, `healthyZMin <= qpos[2] <= healthyZMax`. */
  isHealthy(): boolean {
    const p = this.params;
    const qpos = this.field("qpos");
    const qvel = this.field("qvel");
    for (let i = 0; i < this.nq; i++) if (!Number.isFinite(qpos[i])) return false;
    for (let i = 0; i < this.nv; i++) if (!Number.isFinite(qvel[i])) return false;
    const z = qpos[2];
    return p.healthyZMin <= z && z <= p.healthyZMax;
  }

  /** Gymnasium's `contact_cost`: `contactCostWeight * sum(clip(cfrc_ext)^2)`. */
  contactCost(): number {
    const p = this.params;
    const forces = this.field("cfrc_ext");
    let sum = 0;
    for (let i = 0; i < forces.length; i++) {
      const f = Math.min(p.contactForceMax, Math.max(p.contactForceMin, forces[i]));
      sum += f * f;
    }
    return p.contactCostWeight * sum;
  }

  /** Subtracts the contact cost when `useContactForces` is on (Gymnasium v4). */
  protected override extraCost(info: Record<string, number>): number {
    if (!this.params.useContactForces) return 0;
    const cost = this.contactCost();
    info.reward_contact = -cost;
    return cost;
  }

  /** The torso's position. */
  protected override readPosition(out: Float64Array): void {
    const xpos = this.field("xpos");
    out[0] = xpos[3 * this.torso];
    out[1] = xpos[3 * this.torso + 1];
  }

  protected observe(out: Float32Array): void {
    const p = this.params;
    const from = p.excludeCurrentPositionsFromObservation ? 2 : 0;
    let o = this.observeState(out, from);
    if (p.useContactForces) {
      const forces = this.field("cfrc_ext");
      for (let i = 0; i < forces.length; i++) {
        out[o++] = Math.min(p.contactForceMax, Math.max(p.contactForceMin, forces[i]));
      }
    }
  }
}

/** Env factory for the registry. */
export function createAnt(params: Record<string, unknown>): Env {
  return new Ant(params);
}

/**
 * `dmc/cartpole-{balance,swingup}[-sparse]` (dm_control `cartpole.*`): a cart on a rail
 * (range ±1.8) with one hinged pole. Control timestep 0.01 s (one RK4 physics step).
 *
 * Observation (5): `position` (3: cart position, then the pole frame's `zz`, `xz`),
 * `velocity` (2: qvel).
 * Reward, smooth: `upright * small_control * small_velocity * centered` with
 * `upright = (cos + 1) / 2`, `centered = (1 + tolerance(x, margin=2)) / 2`,
 * `small_control = (4 + tolerance(u, margin=1, value_at_margin=0, quadratic)) / 5`,
 * `small_velocity = (1 + tolerance(pole angular velocity, margin=5)) / 2`.
 * Reward, sparse: `tolerance(x, (-0.25, 0.25)) * tolerance(cos, (0.995, 1))`.
 * Initial state: swing-up puts the cart at `0.01 N(0, 1)` and the pole down at
 * `pi + 0.01 N(0, 1)`; balance draws the cart from `U(-0.1, 0.1)` and the pole from
 * `U(-0.034, 0.034)`; both then draw `qvel = 0.01 N(0, 1)`.
 */
import type { Env } from "../../core/env.ts";
import { DmcEnv } from "./dmc_env.ts";
import { tolerance } from "./rewards.ts";
import { CARTPOLE_XML } from "./assets/cartpole.ts";

/** dm_control's `Balance._CART_RANGE` and `_ANGLE_COSINE_RANGE` (sparse reward). */
const CART_RANGE = [-0.25, 0.25] as const;
const ANGLE_COSINE_RANGE = [0.995, 1] as const;

/** Which of the four cart-pole tasks. */
export interface CartpoleVariant {
  swingUp: boolean;
  sparse: boolean;
}

/** dm_control's cart-pole `Balance` task (one pole). */
export class Cartpole extends DmcEnv {
  readonly variant: CartpoleVariant;
  private readonly pole: number;

  /** Builds the variant; `params` are the common DMC parameters. */
  constructor(variant: CartpoleVariant, params: Record<string, unknown> = {}) {
    super({
      id: `dmc/cartpole-${variant.swingUp ? "swingup" : "balance"}${
        variant.sparse ? "-sparse" : ""
      }`,
      xml: CARTPOLE_XML,
      nSubSteps: 1,
      observation: [{ key: "position", size: 3 }, { key: "velocity", size: 2 }],
    }, params);
    this.variant = variant;
    this.pole = this.bodyId("pole_1");
    this.reset();
  }

  protected initializeEpisode(): void {
    const qpos = this.field("qpos");
    const qvel = this.field("qvel");
    if (this.variant.swingUp) {
      qpos[0] = 0.01 * this.rng.normal();
      qpos[1] = Math.PI + 0.01 * this.rng.normal();
    } else {
      qpos[0] = this.rng.uniformRange(-0.1, 0.1);
      qpos[1] = this.rng.uniformRange(-0.034, 0.034);
    }
    for (let i = 0; i < this.nv; i++) qvel[i] = 0.01 * this.rng.normal();
  }

  protected observe(out: Float32Array): void {
    const qvel = this.field("qvel");
    out[0] = this.field("qpos")[0];
    out[1] = this.xmat(this.pole, "zz");
    out[2] = this.xmat(this.pole, "xz");
    out[3] = qvel[0];
    out[4] = qvel[1];
  }

  reward(): number {
    const cart = this.field("qpos")[0];
    const cosine = this.xmat(this.pole, "zz");
    if (this.variant.sparse) {
      return tolerance(cart, { bounds: CART_RANGE }) *
        tolerance(cosine, { bounds: ANGLE_COSINE_RANGE });
    }
    const upright = (cosine + 1) / 2;
    const centered = (1 + tolerance(cart, { margin: 2 })) / 2;
    const control = tolerance(this.field("ctrl")[0], {
      margin: 1,
      valueAtMargin: 0,
      sigmoid: "quadratic",
    });
    const smallControl = (4 + control) / 5;
    const smallVelocity = (1 + tolerance(this.field("qvel")[1], { margin: 5 })) / 2;
    return upright * smallControl * smallVelocity * centered;
  }
}

/** Env factories for the registry. */
export const createCartpoleBalance = (params: Record<string, unknown>): Env =>
  new Cartpole({ swingUp: false, sparse: false }, params);
/** Sparse balance. */
export const createCartpoleBalanceSparse = (params: Record<string, unknown>): Env =>
  new Cartpole({ swingUp: false, sparse: true }, params);
/** Swing-up. */
export const createCartpoleSwingup = (params: Record<string, unknown>): Env =>
  new Cartpole({ swingUp: true, sparse: false }, params);
/** Sparse swing-up. */
export const createCartpoleSwingupSparse = (params: Record<string, unknown>): Env =>
  new Cartpole({ swingUp: true, sparse: true }, params);

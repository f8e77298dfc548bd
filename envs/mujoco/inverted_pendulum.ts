/**
 * `InvertedPendulum-v4`: Gymnasium's cart-pole on a rail, the fast smoke task. Observation (4):
 * `qpos` (cart position, pole angle) and `qvel`. Action (1) in `[-3, 3]`. Reward 1 every step,
 * the terminating one included; terminates when an observation is not finite or `|angle| > 0.2`.
 * Reset noise `U(-0.01, 0.01)` on qpos and qvel. Two physics steps of 0.02 s per env step.
 */
import type { Env, StepResult } from "../../core/env.ts";
import { validate } from "../../core/schema.ts";
import { INVERTED_PENDULUM_XML } from "./assets/inverted_pendulum.ts";
import { MujocoEnv } from "./mujoco_env.ts";

/** The pole angle beyond which the episode ends. */
const MAX_ANGLE = 0.2;
/** Half-width of the uniform reset noise. */
const RESET_NOISE = 0.01;

/** InvertedPendulum-v4 (no options, as in Gymnasium). */
export class InvertedPendulum extends MujocoEnv {
  /** Builds the env; it takes no `envParams`. */
  constructor(options: Record<string, unknown> = {}) {
    validate({}, options, "envParams");
    super({ id: "InvertedPendulum-v4", xml: INVERTED_PENDULUM_XML, frameSkip: 2, obsDim: 4 });
    this.reset();
  }

  protected stepTask(
    action: Float32Array,
    out: StepResult & { info: Record<string, number> },
  ): void {
    this.simulate(action);
    const qpos = this.field("qpos");
    const qvel = this.field("qvel");
    const finite = qpos.every(Number.isFinite) && qvel.every(Number.isFinite);
    out.reward = 1;
    out.terminated = !finite || Math.abs(qpos[1]) > MAX_ANGLE;
  }

  protected observe(out: Float32Array): void {
    this.observeState(out, 0);
  }

  protected resetModel(): void {
    this.resetWithNoise(RESET_NOISE, "uniform");
  }
}

/** Env factory for the registry. */
export function createInvertedPendulum(params: Record<string, unknown>): Env {
  return new InvertedPendulum(params);
}

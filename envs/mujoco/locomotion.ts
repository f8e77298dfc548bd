/**
 * The locomotion tasks' common step (Hopper, Walker2d, HalfCheetah, Ant, Humanoid), as
 * Gymnasium's v4 files write it: forward reward `forwardRewardWeight * x_velocity`, with
 * `x_velocity` the finite difference over `dt` of a tracked position; control cost
 * `ctrlCostWeight * |a|^2`; a healthy reward paid while healthy, or always when an unhealthy
 * state terminates the episode; an optional extra cost (Ant's contact cost).
 *
 * The "before" position is the one read after the previous step (or reset), not re-read from
 * the state at the start of the step: for the 3-D tasks Gymnasium reads body positions
 * (`xpos`, `xipos`) that MuJoCo computed before the last integration, which lag `qpos`; keeping
 * the value, and saving it in `state()`, makes a resumed episode pay exactly the same rewards.
 */
import type { StepResult } from "../../core/env.ts";
import type { Schema } from "../../core/schema.ts";
import {
  MujocoEnv,
  type MujocoEnvState,
  type MujocoTaskSpec,
  type VelocityNoise,
} from "./mujoco_env.ts";

/** Reward and reset parameters every locomotion task has (camel-cased Gymnasium kwargs). */
export interface LocomotionParams {
  forwardRewardWeight: number;
  ctrlCostWeight: number;
  /** Paid while healthy (ignored by tasks without a healthy condition). */
  healthyReward: number;
  terminateWhenUnhealthy: boolean;
  resetNoiseScale: number;
}

/** The schema of the {@link LocomotionParams} options (see {@link locomotionSchema}). */
export interface LocomotionSchema extends Schema {
  forwardRewardWeight: { type: "number"; default: number };
  ctrlCostWeight: { type: "number"; min: 0; default: number };
  healthyReward: { type: "number"; default: number };
  terminateWhenUnhealthy: { type: "boolean"; default: true };
  resetNoiseScale: { type: "number"; min: 0; default: number };
}

/** The reward and reset options with a task's defaults, for its `envParams` schema. */
export function locomotionSchema(
  defaults: Omit<LocomotionParams, "terminateWhenUnhealthy">,
): LocomotionSchema {
  return {
    forwardRewardWeight: { type: "number", default: defaults.forwardRewardWeight },
    ctrlCostWeight: { type: "number", min: 0, default: defaults.ctrlCostWeight },
    healthyReward: { type: "number", default: defaults.healthyReward },
    terminateWhenUnhealthy: { type: "boolean", default: true },
    resetNoiseScale: { type: "number", min: 0, default: defaults.resetNoiseScale },
  };
}

/** A locomotion task's fixed facts besides its model. */
export interface LocomotionSpec extends MujocoTaskSpec {
  /** Velocity reset noise: `U(-scale, scale)` or `scale * N(0, 1)`. */
  velocityNoise: VelocityNoise;
  /** The 3-D tasks also report y position, y velocity and distance from the origin. */
  reportsY: boolean;
  /** Whether the task has a healthy reward and termination (HalfCheetah has neither). */
  healthTerm: boolean;
}

/** {@link MujocoEnvState} plus the tracked position after the last step. */
export interface LocomotionState extends MujocoEnvState {
  xyBefore: number[];
}

/** Base class of the locomotion tasks. */
export abstract class LocomotionEnv extends MujocoEnv {
  /** The tracked position (x, y) after the last step or reset. */
  private readonly xy = new Float64Array(2);
  private readonly locomotion: LocomotionSpec;
  private readonly rewardParams: LocomotionParams;

  /** Compiles the task's model; `params` are the task's validated reward and reset options. */
  protected constructor(spec: LocomotionSpec, params: LocomotionParams) {
    super(spec);
    this.locomotion = spec;
    this.rewardParams = params;
  }

  /** Gymnasium's `is_healthy` for the current state (always true without a healthy term). */
  abstract isHealthy(): boolean;

  /**
   * Writes the tracked position (x, y) of the current state into `out`: `qpos[0]` for the planar
   * tasks (this default); the 3-D tasks track a body's position.
   */
  protected readPosition(out: Float64Array): void {
    out[0] = this.field("qpos")[0];
  }

  /** A cost subtracted from the reward besides the control cost (writes its info term). */
  protected extraCost(_info: Record<string, number>): number {
    return 0;
  }

  protected stepTask(
    action: Float32Array,
    out: StepResult & { info: Record<string, number> },
  ): void {
    const p = this.rewardParams;
    const xBefore = this.xy[0];
    const yBefore = this.xy[1];
    this.simulate(action);
    this.readPosition(this.xy);
    const xVelocity = (this.xy[0] - xBefore) / this.dt;
    let ctrlCost = 0;
    for (let i = 0; i < action.length; i++) ctrlCost += action[i] * action[i];
    ctrlCost *= p.ctrlCostWeight;
    const { healthTerm } = this.locomotion;
    const healthy = !healthTerm || this.isHealthy();
    const forwardReward = p.forwardRewardWeight * xVelocity;
    const healthyReward = healthTerm && (healthy || p.terminateWhenUnhealthy) ? p.healthyReward : 0;
    out.reward = forwardReward + healthyReward - ctrlCost - this.extraCost(out.info);
    out.terminated = healthTerm && p.terminateWhenUnhealthy && !healthy;
    const info = out.info;
    info.x_position = this.xy[0];
    info.x_velocity = xVelocity;
    info.reward_forward = forwardReward;
    info.reward_ctrl = -ctrlCost;
    if (healthTerm) info.reward_healthy = healthyReward;
    if (this.locomotion.reportsY) {
      info.y_position = this.xy[1];
      info.y_velocity = (this.xy[1] - yBefore) / this.dt;
      info.distance_from_origin = Math.hypot(this.xy[0], this.xy[1]);
    }
  }

  protected resetModel(): void {
    this.resetWithNoise(this.rewardParams.resetNoiseScale, this.locomotion.velocityNoise);
    this.readPosition(this.xy);
  }

  /** Sets qpos and qvel (then `mj_forward`) and re-reads the tracked position. */
  override setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    super.setState(qpos, qvel);
    this.readPosition(this.xy);
  }

  /** The base state plus the tracked position. */
  override state(): LocomotionState {
    return { ...super.state(), xyBefore: [this.xy[0], this.xy[1]] };
  }

  /** Restores {@link state}'s output, the tracked position included. */
  override load(state: unknown): void {
    const xy = (state as Partial<LocomotionState> | null)?.xyBefore;
    if (!Array.isArray(xy) || xy.length !== 2 || !xy.every((v) => typeof v === "number")) {
      throw new Error(`${this.id}.load: expected xyBefore: [x, y] with the base state`);
    }
    super.load(state);
    this.xy[0] = xy[0];
    this.xy[1] = xy[1];
  }
}

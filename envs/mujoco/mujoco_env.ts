/**
 * Gymnasium's `MujocoEnv` contract over the MuJoCo WebAssembly engine: one `MjModel` and
 * `MjData` per env, `frameSkip` physics steps per env step followed by `mj_rnePostConstraint`
 * (so `cacc`, `cfrc_int` and `cfrc_ext` are current), `dt = timestep * frameSkip`, the action
 * Box from the actuators' `ctrlrange`, reset = `mj_resetData` + the task's noisy initial state +
 * `mj_forward`, truncation at `maxEpisodeSteps` (1000).
 *
 * The hot path allocates nothing: `step` writes into a {@link StepResult}, an observation buffer
 * and an info record that the env owns and reuses, valid until its next `step` or `reset`
 * (`VecEnv` copies them at once). Live views into the engine's memory are cached and re-read
 * only when the WebAssembly memory grew (which detaches old views).
 */
import type { Env, StepResult } from "../../core/env.ts";
import { type Box, box } from "../../core/spaces.ts";
import { Rng, type RngState } from "../../core/rng.ts";
import type { MjData, MjModel } from "@mujoco/mujoco";
import { type MujocoEngine, mujocoEngine } from "./runtime.ts";

/** Gymnasium's step limit for the MuJoCo tasks (its `TimeLimit`). */
export const MUJOCO_MAX_EPISODE_STEPS = 1000;

/** What a task gives the base class. */
export interface MujocoTaskSpec {
  /** Env id, e.g. `Hopper-v4`. */
  id: string;
  /** The MJCF model. */
  xml: string;
  /** Physics steps per env step. */
  frameSkip: number;
  /** Observation size. */
  obsDim: number;
}

/** The `MjData` arrays the envs read or write (all `mjtNum`, i.e. float64). */
export type DataField =
  | "qpos"
  | "qvel"
  | "act"
  | "ctrl"
  | "qacc_warmstart"
  | "xpos"
  | "xipos"
  | "cinert"
  | "cvel"
  | "qfrc_actuator"
  | "cfrc_ext"
  | "xmat"
  | "sensordata"
  | "site_xpos"
  | "geom_xpos"
  | "geom_xmat";

/** Serialisable state of a {@link MujocoEnv}: the integration state, step count, generator. */
export interface MujocoEnvState {
  time: number;
  qpos: number[];
  qvel: number[];
  act: number[];
  ctrl: number[];
  qaccWarmstart: number[];
  steps: number;
  rng: RngState;
}

/** How {@link MujocoEnv.resetWithNoise} perturbs the initial velocities. */
export type VelocityNoise = "uniform" | "normal";

/** Base class of the MuJoCo tasks; subclasses add the reward, termination and observation. */
export abstract class MujocoEnv implements Env {
  readonly id: string;
  /** The task's model, frame skip and observation size. */
  readonly spec: MujocoTaskSpec;
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  readonly maxEpisodeSteps: number = MUJOCO_MAX_EPISODE_STEPS;
  /** Physics steps per env step. */
  readonly frameSkip: number;
  /** Seconds of simulated time per env step: `timestep * frameSkip`. */
  readonly dt: number;
  /** Sizes of qpos, qvel and ctrl. */
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  protected readonly mj: MujocoEngine;
  protected readonly model: MjModel;
  protected readonly data: MjData;
  /** `qpos0` and zero velocities, Gymnasium's `init_qpos` / `init_qvel`. */
  protected readonly initQpos: Float64Array;
  protected readonly initQvel: Float64Array;
  protected rng: Rng = new Rng(0);
  protected steps = 0;
  private readonly obs: Float32Array;
  private readonly result: StepResult & { info: Record<string, number> };
  private readonly views = new Map<DataField, Float64Array>();
  private closed = false;

  /** Compiles the model; throws naming the task when the engine is not loaded or the XML fails. */
  protected constructor(spec: MujocoTaskSpec) {
    this.id = spec.id;
    this.spec = spec;
    this.mj = mujocoEngine(spec.id);
    this.model = this.mj.MjModel.from_xml_string(spec.xml);
    this.data = new this.mj.MjData(this.model);
    this.frameSkip = spec.frameSkip;
    this.nq = this.model.nq;
    this.nv = this.model.nv;
    this.nu = this.model.nu;
    this.dt = this.model.opt.timestep * spec.frameSkip;
    this.initQpos = Float64Array.from(this.field("qpos"));
    this.initQvel = Float64Array.from(this.field("qvel"));
    const range = this.model.actuator_ctrlrange as Float64Array;
    const low = new Float32Array(this.nu);
    const high = new Float32Array(this.nu);
    for (let i = 0; i < this.nu; i++) {
      low[i] = range[2 * i];
      high[i] = range[2 * i + 1];
    }
    this.actionSpace = box(low, high);
    this.observationSpace = box(-Infinity, Infinity, spec.obsDim);
    this.obs = new Float32Array(spec.obsDim);
    this.result = { obs: this.obs, reward: 0, terminated: false, truncated: false, info: {} };
  }

  /**
   * Applies the action to the simulation and fills `out.reward`, `out.terminated` and
   * `out.info` (reward terms etc.); called by {@link step}, which does the rest.
   */
  protected abstract stepTask(
    action: Float32Array,
    out: StepResult & { info: Record<string, number> },
  ): void;

  /** Writes the observation of the current state into `out`. */
  protected abstract observe(out: Float32Array): void;

  /** Sets the episode's initial state (Gymnasium's `reset_model`), using `this.rng`. */
  protected abstract resetModel(): void;

  /** Starts an episode; a seed re-seeds the env's generator. */
  reset(seed?: number): Float32Array {
    this.ensureOpen();
    if (seed !== undefined) this.rng = new Rng(seed);
    this.mj.mj_resetData(this.model, this.data);
    this.resetModel();
    this.steps = 0;
    this.observe(this.obs);
    return this.obs;
  }

  /** One env step; the result, its `obs` and `info` are reused by the next call. */
  step(action: Float32Array): StepResult {
    this.ensureOpen();
    if (action.length !== this.nu) {
      throw new Error(
        `${this.id}.step: expected an action of length ${this.nu}, got ${action.length}`,
      );
    }
    const out = this.result;
    this.stepTask(action, out);
    this.steps += 1;
    out.truncated = this.steps >= this.maxEpisodeSteps;
    this.observe(this.obs);
    return out;
  }

  /**
   * Gymnasium's `do_simulation`: `ctrl = action`, `frameSkip` calls of `mj_step`, then
   * `mj_rnePostConstraint`. MuJoCo clamps `ctrl` to `ctrlrange` itself, as in Gymnasium.
   */
  protected simulate(action: Float32Array): void {
    const ctrl = this.field("ctrl");
    for (let i = 0; i < this.nu; i++) ctrl[i] = action[i];
    for (let i = 0; i < this.frameSkip; i++) this.mj.mj_step(this.model, this.data);
    this.mj.mj_rnePostConstraint(this.model, this.data);
  }

  /** Gymnasium's `set_state`: writes qpos and qvel, then `mj_forward`. */
  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    this.ensureOpen();
    if (qpos.length !== this.nq || qvel.length !== this.nv) {
      throw new Error(
        `${this.id}.setState: expected qpos[${this.nq}] and qvel[${this.nv}], got ` +
          `qpos[${qpos.length}] and qvel[${qvel.length}]`,
      );
    }
    this.field("qpos").set(qpos);
    this.field("qvel").set(qvel);
    this.mj.mj_forward(this.model, this.data);
  }

  /**
   * The usual `reset_model`: `qpos = init + U(-scale, scale)`, and `qvel = init + U(-scale,
   * scale)` or `init + scale * N(0, 1)`; all position noise is drawn before velocity noise.
   */
  protected resetWithNoise(scale: number, velocityNoise: VelocityNoise): void {
    const qpos = this.field("qpos");
    const qvel = this.field("qvel");
    for (let i = 0; i < this.nq; i++) {
      qpos[i] = this.initQpos[i] + this.rng.uniformRange(-scale, scale);
    }
    for (let i = 0; i < this.nv; i++) {
      qvel[i] = this.initQvel[i] +
        (velocityNoise === "uniform"
          ? this.rng.uniformRange(-scale, scale)
          : scale * this.rng.normal());
    }
    this.mj.mj_forward(this.model, this.data);
  }

  /**
   * Writes `qpos[from:]` then `qvel` clipped to `[-velocityLimit, velocityLimit]` into `out`
   * (every task's observation starts so); returns the offset after them.
   */
  protected observeState(out: Float32Array, from: number, velocityLimit = Infinity): number {
    const o = putClipped(out, 0, this.field("qpos"), { from });
    return putClipped(out, o, this.field("qvel"), { limit: velocityLimit });
  }

  /** The engine's model and data, for drawing; read them only (the env owns both). */
  physics(): { model: MjModel; data: MjData } {
    this.ensureOpen();
    return { model: this.model, data: this.data };
  }

  /** Copies of the current `qpos` and `qvel` (Gymnasium's `data.qpos`, `data.qvel`). */
  positions(): { qpos: Float64Array; qvel: Float64Array } {
    this.ensureOpen();
    return { qpos: this.field("qpos").slice(), qvel: this.field("qvel").slice() };
  }

  /** Size of the engine's WebAssembly memory, shared by every env (it never shrinks). */
  engineMemoryBytes(): number {
    this.ensureOpen();
    return this.field("qpos").buffer.byteLength;
  }

  /** A live view of an `MjData` array (re-read only after the engine's memory grew). */
  protected field(name: DataField): Float64Array {
    let view = this.views.get(name);
    if (view === undefined || view.buffer.byteLength === 0) {
      view = this.data[name] as Float64Array;
      this.views.set(name, view);
    }
    return view;
  }

  /** Index of the body called `name`; throws naming the task when it is missing. */
  protected bodyId(name: string): number {
    const id = this.mj.mj_name2id(this.model, this.mj.mjtObj.mjOBJ_BODY.value, name);
    if (id < 0) throw new Error(`${this.id}: the model has no body '${name}'`);
    return id;
  }

  /** Serialisable state for exact resume. */
  state(): MujocoEnvState {
    this.ensureOpen();
    return {
      time: this.data.time,
      qpos: Array.from(this.field("qpos")),
      qvel: Array.from(this.field("qvel")),
      act: Array.from(this.field("act")),
      ctrl: Array.from(this.field("ctrl")),
      qaccWarmstart: Array.from(this.field("qacc_warmstart")),
      steps: this.steps,
      rng: this.rng.state(),
    };
  }

  /** Restores {@link state}'s output; derived quantities are recomputed with `mj_forward`. */
  load(state: unknown): void {
    this.ensureOpen();
    const s = state as Partial<MujocoEnvState>;
    const sizes: [keyof MujocoEnvState, DataField, number][] = [
      ["qpos", "qpos", this.nq],
      ["qvel", "qvel", this.nv],
      ["act", "act", this.model.na],
      ["ctrl", "ctrl", this.nu],
      ["qaccWarmstart", "qacc_warmstart", this.nv],
    ];
    const ok = typeof s === "object" && s !== null && typeof s.time === "number" &&
      Number.isInteger(s.steps) && (s.steps as number) >= 0 && typeof s.rng === "object" &&
      sizes.every(([key, , n]) => Array.isArray(s[key]) && (s[key] as number[]).length === n);
    if (!ok) {
      throw new Error(
        `${this.id}.load: expected { time, qpos[${this.nq}], qvel[${this.nv}], ` +
          `act[${this.model.na}], ctrl[${this.nu}], qaccWarmstart[${this.nv}], steps, rng }`,
      );
    }
    for (const [key, field] of sizes) this.field(field).set(s[key] as number[]);
    this.data.time = s.time as number;
    this.mj.mj_forward(this.model, this.data);
    this.mj.mj_rnePostConstraint(this.model, this.data);
    const rng = new Rng(0);
    rng.load(s.rng as RngState);
    this.rng = rng;
    this.steps = s.steps as number;
  }

  /** Frees the engine's model and data; the env cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.views.clear();
    this.data.delete();
    this.model.delete();
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error(`${this.id}: used after close()`);
  }
}

/** Writes `src[from..]` into `out` at `offset`, clipped to `[-limit, limit]`; returns the end. */
export function putClipped(
  out: Float32Array,
  offset: number,
  src: Float64Array,
  options: { from?: number; to?: number; limit?: number } = {},
): number {
  const { from = 0, to = src.length, limit = Infinity } = options;
  let o = offset;
  for (let i = from; i < to; i++) out[o++] = Math.min(limit, Math.max(-limit, src[i]));
  return o;
}

/**
 * The DeepMind Control suite's common pieces over the MuJoCo env base: dm_control's
 * `control.Environment` stepping and episode rules, and the `mujoco.Physics` accessors the
 * task files use.
 *
 * - An episode is 1000 control steps (every suite task's time limit over its control
 *   timestep); it is truncated there, never terminated.
 * - A control step sets `ctrl = action` (unclipped, as `physics.set_control`; MuJoCo clamps
 *   to `ctrlrange` when it computes forces) and advances `nSubSteps` physics steps with
 *   dm_control's legacy step: `mj_step2`, `mj_step` for the rest, then `mj_step1` so that
 *   positions and velocities derived for the observation are current (RK4 models: `mj_step`
 *   for all of them, then `mj_step1`).
 * - `actionRepeat` (an env parameter, default 1 = dm_control's own) repeats each action over
 *   that many control steps and sums their rewards, as DrQ/TD-MPC's wrappers do; an episode
 *   then has `ceil(1000 / actionRepeat)` env steps and still spans 1000 control steps.
 * - Reset: `mj_resetData`, `mj_forward`, the task's `initializeEpisode`, `mj_forward`
 *   (dm_control's `reset_context`).
 * - The observation is the task's ordered dictionary flattened in its key order, as float32;
 *   {@link DmcEnv.observationLayout} names the keys and their sizes.
 */
import type { StepResult } from "../../core/env.ts";
import { type Schema, validate, type ValuesOf } from "../../core/schema.ts";
import { MujocoEnv, type MujocoEnvState } from "../mujoco/mujoco_env.ts";

/** Control steps per episode for every suite task. */
export const DMC_CONTROL_STEPS = 1000;

/** The parameters every DMC task takes through `envParams`. */
export const DMC_PARAMS = {
  actionRepeat: {
    type: "number",
    integer: true,
    min: 1,
    max: DMC_CONTROL_STEPS,
    default: 1,
    doc: "control steps per env step, rewards summed (dm_control's default: 1)",
  },
} as const satisfies Schema;

/** Validated {@link DMC_PARAMS}. */
export type DmcParams = ValuesOf<typeof DMC_PARAMS>;

/** One entry of a task's observation dictionary: its key and flattened size. */
export interface ObservationKey {
  key: string;
  size: number;
}

/** What a task gives the base. */
export interface DmcTaskSpec {
  /** Env id, e.g. `dmc/cheetah-run`. */
  id: string;
  /** The MJCF model. */
  xml: string;
  /** Physics steps per control step: the task's control timestep over the model's timestep. */
  nSubSteps: number;
  /** The observation dictionary's keys and sizes, in dm_control's order. */
  observation: readonly ObservationKey[];
}

/** Serialisable state of a {@link DmcEnv}: the MuJoCo state plus control-step count and task state. */
export interface DmcEnvState extends MujocoEnvState {
  controlSteps: number;
  /** What a task changes in the model per episode (e.g. a target position); may be empty. */
  task: number[];
}

/** A bare `mj_step` loop on a copy of a task's model (see {@link DmcEnv.rawLoop}). */
export interface RawLoop {
  /** One control step: the action into `ctrl`, then the task's physics steps. */
  step(action: Float32Array): void;
  /** Back to the model's initial state. */
  reset(): void;
  /** Frees the copy. */
  close(): void;
}

/** xmat component names to their offset in a body's row-major 3x3 matrix. */
const XMAT = { xx: 0, xy: 1, xz: 2, yx: 3, yy: 4, yz: 5, zx: 6, zy: 7, zz: 8 } as const;

/** A component of a frame's rotation matrix, dm_control's `xmat[..., 'zz']` names. */
export type XmatComponent = keyof typeof XMAT;

/** Base class of the suite's tasks: a task adds its initialisation, observation and reward. */
export abstract class DmcEnv extends MujocoEnv {
  override readonly maxEpisodeSteps: number;
  /** Validated common parameters. */
  readonly dmcParams: DmcParams;
  /** The flattened observation's keys and sizes, in order. */
  readonly observationLayout: readonly ObservationKey[];
  /** Control steps taken in this episode (env steps times the action repeat, at most 1000). */
  protected controlSteps = 0;
  private readonly rk4: boolean;

  /**
   * Compiles the model; `params` holds the common parameters only (a task validates its own
   * first and passes the rest).
   */
  protected constructor(spec: DmcTaskSpec, params: Record<string, unknown>) {
    const obsDim = spec.observation.reduce((n, k) => n + k.size, 0);
    super({ id: spec.id, xml: spec.xml, frameSkip: spec.nSubSteps, obsDim });
    this.dmcParams = validate(DMC_PARAMS, params, "envParams");
    this.maxEpisodeSteps = Math.ceil(DMC_CONTROL_STEPS / this.dmcParams.actionRepeat);
    this.observationLayout = spec.observation;
    this.rk4 = this.model.opt.integrator === this.mj.mjtIntegrator.mjINT_RK4.value;
  }

  /** dm_control's `initialize_episode`: sets the episode's initial state using `this.rng`. */
  protected abstract initializeEpisode(): void;

  /** dm_control's `get_reward` on the current state. */
  abstract reward(): number;

  protected resetModel(): void {
    this.controlSteps = 0;
    this.mj.mj_forward(this.model, this.data);
    this.initializeEpisode();
    this.mj.mj_forward(this.model, this.data);
  }

  protected stepTask(action: Float32Array, out: StepResult & { info: Record<string, number> }) {
    const ctrl = this.field("ctrl");
    let reward = 0;
    for (let k = 0; k < this.dmcParams.actionRepeat; k++) {
      if (this.controlSteps >= DMC_CONTROL_STEPS) break;
      for (let i = 0; i < this.nu; i++) ctrl[i] = action[i];
      this.physicsStep(this.frameSkip);
      reward += this.reward();
      this.controlSteps += 1;
    }
    out.reward = reward;
    out.terminated = false;
  }

  /** dm_control's `Physics.step(n)` with `legacy_step`, see the module comment. */
  protected physicsStep(n: number): void {
    if (this.rk4) {
      for (let i = 0; i < n; i++) this.mj.mj_step(this.model, this.data);
    } else {
      this.mj.mj_step2(this.model, this.data);
      for (let i = 1; i < n; i++) this.mj.mj_step(this.model, this.data);
    }
    this.mj.mj_step1(this.model, this.data);
  }

  /**
   * A bare engine loop on a fresh copy of this task's model, for timing the env against:
   * `step` writes `ctrl` and calls `mj_step` `nSubSteps` times, nothing else; `reset` is
   * `mj_resetData` + `mj_forward`. Call `close` to free the copy.
   */
  rawLoop(): RawLoop {
    const { mj } = this;
    const model = mj.MjModel.from_xml_string(this.spec.xml);
    const data = new mj.MjData(model);
    const n = this.frameSkip;
    const nu = this.nu;
    mj.mj_forward(model, data);
    return {
      step(action: Float32Array): void {
        // read per call: a cached view detaches if the engine's memory grows
        const ctrl = data.ctrl as Float64Array;
        for (let i = 0; i < nu; i++) ctrl[i] = action[i];
        for (let i = 0; i < n; i++) mj.mj_step(model, data);
      },
      reset(): void {
        mj.mj_resetData(model, data);
        mj.mj_forward(model, data);
      },
      close(): void {
        data.delete();
        model.delete();
      },
    };
  }

  /** `xmat[body, component]`: a component of a body frame's orientation. */
  protected xmat(body: number, component: XmatComponent): number {
    return this.field("xmat")[9 * body + XMAT[component]];
  }

  /** Index of the named object of type `kind`; throws naming the task when it is missing. */
  protected objectId(kind: "joint" | "geom" | "site" | "sensor", name: string): number {
    const type = {
      joint: this.mj.mjtObj.mjOBJ_JOINT,
      geom: this.mj.mjtObj.mjOBJ_GEOM,
      site: this.mj.mjtObj.mjOBJ_SITE,
      sensor: this.mj.mjtObj.mjOBJ_SENSOR,
    }[kind].value;
    const id = this.mj.mj_name2id(this.model, type, name);
    if (id < 0) throw new Error(`${this.id}: the model has no ${kind} '${name}'`);
    return id;
  }

  /** Offset of the named sensor's values in `sensordata`. */
  protected sensorAddress(name: string): number {
    return (this.model.sensor_adr as Int32Array)[this.objectId("sensor", name)];
  }

  /** `qpos` address of the named joint. */
  protected qposAddress(joint: string): number {
    return (this.model.jnt_qposadr as Int32Array)[this.objectId("joint", joint)];
  }

  /**
   * dm_control's `randomizers.randomize_limited_and_rotational_joints`: limited hinges and
   * slides uniform in their range, unlimited hinges uniform in `[-pi, pi]`, unlimited ball
   * joints a normalised Gaussian quaternion, free joints' quaternion from `U(0, 1)^4`
   * normalised (dm_control keeps that for reproducibility); free joints' positions stay.
   */
  protected randomizeLimitedAndRotationalJoints(): void {
    const { mjJNT_HINGE, mjJNT_SLIDE, mjJNT_BALL, mjJNT_FREE } = this.mj.mjtJoint;
    const type = this.model.jnt_type as Int32Array;
    const range = this.model.jnt_range as Float64Array;
    const adr = this.model.jnt_qposadr as Int32Array;
    const qpos = this.field("qpos");
    const quaternion = (at: number, draw: () => number) => {
      let norm = 0;
      for (let i = 0; i < 4; i++) norm += (qpos[at + i] = draw()) ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < 4; i++) qpos[at + i] /= norm;
    };
    for (let j = 0; j < this.model.njnt; j++) {
      const t = type[j];
      if (this.jointLimited(j)) {
        if (t === mjJNT_HINGE.value || t === mjJNT_SLIDE.value) {
          qpos[adr[j]] = this.rng.uniformRange(range[2 * j], range[2 * j + 1]);
        } else if (t === mjJNT_BALL.value) {
          throw new Error(`${this.id}: limited ball joints are not supported by the randomiser`);
        }
      } else if (t === mjJNT_HINGE.value) {
        qpos[adr[j]] = this.rng.uniformRange(-Math.PI, Math.PI);
      } else if (t === mjJNT_BALL.value) {
        quaternion(adr[j], () => this.rng.normal());
      } else if (t === mjJNT_FREE.value) {
        quaternion(adr[j] + 3, () => this.rng.uniform());
      }
    }
  }

  /**
   * Whether joint `j` is limited. The engine's bindings cannot read `jnt_limited` (a bool
   * array), so a joint counts as limited when its range is not empty: with MuJoCo's
   * `autolimits` a range makes a joint limited, and the suite's models used here give a range
   * only to limited joints (fish's `limited="false"` hinges are never randomised this way).
   */
  protected jointLimited(j: number): boolean {
    const range = this.model.jnt_range as Float64Array;
    return range[2 * j] < range[2 * j + 1];
  }

  /** The model values the task changes per episode; saved with the state. None by default. */
  protected taskState(): number[] {
    return [];
  }

  /** Restores {@link taskState}'s output (called before the physics state is restored). */
  protected loadTaskState(values: number[]): void {
    if (values.length !== 0) {
      throw new Error(`${this.id}.load: expected an empty task state, got ${values.length}`);
    }
  }

  override state(): DmcEnvState {
    return { ...super.state(), controlSteps: this.controlSteps, task: this.taskState() };
  }

  override load(state: unknown): void {
    const s = state as Partial<DmcEnvState>;
    const ok = typeof s === "object" && s !== null && Number.isInteger(s.controlSteps) &&
      (s.controlSteps as number) >= 0 && (s.controlSteps as number) <= DMC_CONTROL_STEPS &&
      Array.isArray(s.task) && s.task.every((v) => typeof v === "number");
    if (!ok) {
      throw new Error(
        `${this.id}.load: expected the MuJoCo state plus controlSteps (0..${DMC_CONTROL_STEPS}) ` +
          `and task (numbers)`,
      );
    }
    this.loadTaskState(s.task as number[]);
    super.load(state);
    this.controlSteps = s.controlSteps as number;
  }
}

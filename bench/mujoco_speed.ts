/**
 * MuJoCo task measurements behind `deno task bench mujoco-speed`: env steps per second through
 * the framework's `VecEnv` beside a raw `mj_step` loop on the same model in the same process,
 * and the returns of a zero-action and a uniformly random policy.
 */
import { meanStd, type Registry, Rng, VecEnv } from "../core/mod.ts";
import type { MujocoEnv } from "../envs/mujoco/mujoco_env.ts";
import { loadMujocoEngine } from "../envs/mujoco/runtime.ts";
import { cpuMilliseconds } from "./update_timing.ts";

/** Speed figures of one task. */
export interface MujocoSpeed {
  /** Env steps per second through `VecEnv` (one copy, random actions, auto-reset). */
  vecEnvStepsPerSecond: number;
  /** Env steps per second of the bare loop: ctrl write, `frameSkip` x `mj_step`, `mj_rnePostConstraint`. */
  rawStepsPerSecond: number;
  /** `1 - vec / raw`: the share of time the framework adds. */
  overhead: number;
}

/** Uniform actions in the Box `[low, high]`, into `out`. */
export function uniformActions(
  rng: Rng,
  low: Float32Array,
  high: Float32Array,
  out: Float32Array,
): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.uniformRange(low[i], high[i]);
}

/**
 * Times `steps` env steps of `id` through a one-copy `VecEnv`, then the same number of raw
 * engine steps on a fresh copy of the same model, reset (`mj_resetData` + `mj_forward`) after
 * the same steps as the VecEnv's episodes ended; repeats `rounds` times, interleaved, and keeps
 * each side's best round. Times are this process's CPU time ({@link cpuMilliseconds}):
 * stepping is single-threaded, so CPU time measures the work itself and, unlike wall-clock time,
 * is not inflated by other processes sharing the cores.
 */
export async function measureMujocoSpeed(
  registry: Registry,
  id: string,
  options: { steps: number; rounds?: number },
): Promise<MujocoSpeed> {
  const { steps, rounds = 5 } = options;
  await registry.prepareEnv(id);
  const mj = await loadMujocoEngine();
  const vec = new VecEnv(() => registry.env(id).create({}), 1, 0);
  const env = vec.envs[0] as MujocoEnv;
  const { xml, frameSkip } = env.spec;
  const model = mj.MjModel.from_xml_string(xml);
  const data = new mj.MjData(model);
  const rng = new Rng(1);
  const { low, high } = vec.actionSpace;
  const actions = new Float32Array(vec.actDim);
  // where the VecEnv's episodes ended: the raw loop resets there too, so both simulate states
  // of the same kind (a fallen hopper in contact costs more per step than one in flight)
  const ended = new Uint8Array(steps);
  let bestVec = Infinity;
  let bestRaw = Infinity;
  try {
    for (let round = 0; round < rounds; round++) {
      const vecMs = cpuMilliseconds(() => {
        for (let i = 0; i < steps; i++) {
          uniformActions(rng, low, high, actions);
          ended[i] = vec.step(actions).episodes.length;
        }
      });
      bestVec = Math.min(bestVec, vecMs);
      mj.mj_resetData(model, data);
      const nu = model.nu;
      // the view is read once: the loop allocates nothing, so the engine's memory cannot grow
      const ctrl = data.ctrl as Float64Array;
      const rawMs = cpuMilliseconds(() => {
        for (let i = 0; i < steps; i++) {
          uniformActions(rng, low, high, actions);
          for (let d = 0; d < nu; d++) ctrl[d] = actions[d];
          for (let f = 0; f < frameSkip; f++) mj.mj_step(model, data);
          mj.mj_rnePostConstraint(model, data);
          if (ended[i]) {
            mj.mj_resetData(model, data);
            mj.mj_forward(model, data);
          }
        }
      });
      bestRaw = Math.min(bestRaw, rawMs);
    }
  } finally {
    data.delete();
    model.delete();
    env.close();
  }
  const vecEnvStepsPerSecond = steps / (bestVec / 1000);
  const rawStepsPerSecond = steps / (bestRaw / 1000);
  return {
    vecEnvStepsPerSecond,
    rawStepsPerSecond,
    overhead: 1 - vecEnvStepsPerSecond / rawStepsPerSecond,
  };
}

/** Mean and standard deviation of the episode return of a fixed-action or random policy. */
export async function baselineReturns(
  registry: Registry,
  id: string,
  options: { policy: "zero" | "random"; episodes: number; seed: number },
): Promise<{ mean: number; std: number; meanLength: number }> {
  await registry.prepareEnv(id);
  const env = registry.env(id).create({});
  const rng = new Rng(options.seed).fork("actions");
  const { low, high } = env.actionSpace;
  const action = new Float32Array(low.length);
  const returns: number[] = [];
  let totalLength = 0;
  try {
    for (let e = 0; e < options.episodes; e++) {
      env.reset(options.seed + e);
      let ret = 0;
      for (;;) {
        if (options.policy === "random") uniformActions(rng, low, high, action);
        const r = env.step(action);
        ret += r.reward;
        totalLength++;
        if (r.terminated || r.truncated) break;
      }
      returns.push(ret);
    }
  } finally {
    env.close?.();
  }
  return { ...meanStd(returns), meanLength: totalLength / returns.length };
}

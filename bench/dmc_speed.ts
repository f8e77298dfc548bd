/**
 * DMC task measurements behind `deno task bench dmc-speed`, through the registry: env steps per
 * second through the framework's `VecEnv` beside a bare `mj_step` loop on the same model, and
 * the returns of a zero-action and a uniformly random policy come from mujoco_speed.ts's
 * `baselineReturns`, which serves any registered env.
 */
import { type Registry, Rng, VecEnv } from "../core/mod.ts";
import { dmcRawLoop } from "../plugins/dmc/mod.ts";
import { uniformActions } from "./mujoco_speed.ts";
import { cpuMilliseconds } from "./update_timing.ts";

/** Speed figures of one task. */
export interface DmcSpeed {
  /** Env steps per second through `VecEnv` (one copy, random actions, auto-reset). */
  vecEnvStepsPerSecond: number;
  /** Control steps per second of the bare loop: ctrl write and the task's `mj_step` calls. */
  rawStepsPerSecond: number;
  /** `1 - vec / raw`: the share of time the framework (observation, reward, stepping) adds. */
  overhead: number;
}

/**
 * Times `steps` env steps of `id` through a one-copy `VecEnv` and as many bare control steps
 * (reset where the VecEnv's episodes ended), `rounds` times interleaved, best round each; CPU
 * time of this process (stepping is single-threaded).
 */
export async function measureDmcSpeed(
  registry: Registry,
  id: string,
  options: { steps: number; rounds?: number },
): Promise<DmcSpeed> {
  const { steps, rounds = 3 } = options;
  await registry.prepareEnv(id);
  const vec = new VecEnv(() => registry.env(id).create({}), 1, 0);
  const raw = dmcRawLoop(vec.envs[0]);
  const rng = new Rng(1);
  const { low, high } = vec.actionSpace;
  const actions = new Float32Array(vec.actDim);
  const ended = new Uint8Array(steps);
  let bestVec = Infinity;
  let bestRaw = Infinity;
  try {
    for (let round = 0; round < rounds; round++) {
      bestVec = Math.min(
        bestVec,
        cpuMilliseconds(() => {
          for (let i = 0; i < steps; i++) {
            uniformActions(rng, low, high, actions);
            ended[i] = vec.step(actions).episodes.length;
          }
        }),
      );
      raw.reset();
      bestRaw = Math.min(
        bestRaw,
        cpuMilliseconds(() => {
          for (let i = 0; i < steps; i++) {
            uniformActions(rng, low, high, actions);
            raw.step(actions);
            if (ended[i]) raw.reset();
          }
        }),
      );
    }
  } finally {
    raw.close();
    vec.close();
  }
  const vecEnvStepsPerSecond = steps / (bestVec / 1000);
  const rawStepsPerSecond = steps / (bestRaw / 1000);
  return {
    vecEnvStepsPerSecond,
    rawStepsPerSecond,
    overhead: 1 - vecEnvStepsPerSecond / rawStepsPerSecond,
  };
}

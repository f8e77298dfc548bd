/**
 * DMC task measurements behind `deno task bench dmc-speed`, through the registry: env steps per
 * second through the framework's `VecEnv` beside a bare `mj_step` loop on the same model, and
 * the returns of a zero-action and a uniformly random policy over 1000-step episodes.
 */
import { meanStd, type Registry, Rng, VecEnv } from "../core/mod.ts";
import { dmcRawLoop } from "../plugins/dmc/mod.ts";
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

function uniformActions(rng: Rng, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.uniformRange(-1, 1);
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
            uniformActions(rng, actions);
            ended[i] = vec.step(actions).episodes.length;
          }
        }),
      );
      raw.reset();
      bestRaw = Math.min(
        bestRaw,
        cpuMilliseconds(() => {
          for (let i = 0; i < steps; i++) {
            uniformActions(rng, actions);
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

/** Mean and standard deviation of the episode return of the zero or a uniformly random policy. */
export async function dmcBaselineReturns(
  registry: Registry,
  id: string,
  options: { policy: "zero" | "random"; episodes: number; seed: number },
): Promise<{ mean: number; std: number }> {
  await registry.prepareEnv(id);
  const env = registry.env(id).create({});
  const rng = new Rng(options.seed).fork("actions");
  const action = new Float32Array(env.actionSpace.low.length);
  const returns: number[] = [];
  try {
    for (let e = 0; e < options.episodes; e++) {
      env.reset(options.seed + e);
      let ret = 0;
      for (;;) {
        if (options.policy === "random") uniformActions(rng, action);
        const r = env.step(action);
        ret += r.reward;
        if (r.terminated || r.truncated) break;
      }
      returns.push(ret);
    }
  } finally {
    env.close?.();
  }
  return meanStd(returns);
}

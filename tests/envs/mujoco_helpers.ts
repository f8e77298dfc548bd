/** Rollout helpers shared by the MuJoCo env tests. */
import type { MujocoEnv } from "../../envs/mujoco/mujoco_env.ts";
import { Rng } from "../../core/rng.ts";

/** `n` actions drawn uniformly from the env's action Box. */
export function randomActions(env: MujocoEnv, n: number, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  const { low, high } = env.actionSpace;
  return Array.from({ length: n }, () => {
    const a = new Float32Array(low.length);
    for (let i = 0; i < a.length; i++) a[i] = rng.uniformRange(low[i], high[i]);
    return a;
  });
}

/**
 * Everything a rollout produces (observations, rewards, flags and every info term, in key
 * order), resetting on episode ends.
 */
export function rollout(env: MujocoEnv, actions: Float32Array[]): number[] {
  const out: number[] = [];
  for (const a of actions) {
    const r = env.step(a);
    out.push(...r.obs, r.reward, Number(r.terminated), Number(r.truncated));
    const info = r.info ?? {};
    for (const key of Object.keys(info).sort()) out.push(info[key]);
    if (r.terminated || r.truncated) out.push(...env.reset());
  }
  return out;
}

/** Runs `body` with the envs and closes them afterwards. */
export function withEnvs(envs: MujocoEnv[], body: () => void): void {
  try {
    body();
  } finally {
    for (const env of envs) env.close();
  }
}

/**
 * `checkEnv`: what Stable-Baselines3's `check_env` does for Gymnasium envs, for dmerl's `Env`
 * contract: spaces, reset and step shapes and types, determinism under a seed, and an exact
 * state/load round trip. Every problem is reported at once, each naming what it checked.
 */
import type { Env } from "./env.ts";
import { Rng } from "./rng.ts";

/** Options of {@link checkEnv}. */
export interface CheckEnvOptions {
  /** Steps per check (default 50; an episode end on the way is fine). */
  steps?: number;
  /** Seed of the resets and of the random actions (default 0). */
  seed?: number;
}

/** The problems found (empty when the env passed every check). */
export interface CheckEnvResult {
  ok: boolean;
  problems: string[];
}

function isBox(value: unknown): boolean {
  const b = value as { low?: unknown; high?: unknown };
  return typeof b === "object" && b !== null && b.low instanceof Float32Array &&
    b.high instanceof Float32Array && b.low.length === b.high.length && b.low.length > 0;
}

/** One episode's record: observations, rewards and flags, copied (envs may reuse buffers). */
interface Trace {
  obs: number[][];
  rewards: number[];
  flags: string[];
}

/**
 * Checks an env against the `Env` contract: its spaces, `reset` and `step` (shapes, types,
 * finite rewards, boolean terminated/truncated), that a seed fixes the episode, and that
 * `load(state())` continues exactly. The env is left in the middle of an episode; reset it.
 */
export function checkEnv(env: Env, options: CheckEnvOptions = {}): CheckEnvResult {
  const steps = options.steps ?? 50;
  const seed = options.seed ?? 0;
  const problems: string[] = [];
  try {
    if (typeof env.id !== "string" || env.id === "") {
      problems.push("id: expected a non-empty string");
    }
    for (const key of ["observationSpace", "actionSpace"] as const) {
      if (!isBox(env[key])) {
        problems.push(`${key}: expected a Box (low and high Float32Arrays of one non-zero length)`);
      } else {
        const { low, high } = env[key];
        if (low.some((l, i) => !(l <= high[i]))) problems.push(`${key}: some low > high`);
      }
    }
    if (!isBox(env.actionSpace) || !isBox(env.observationSpace)) return { ok: false, problems };
    const { low, high } = env.actionSpace;
    if (low.some((l, i) => !Number.isFinite(l) || !Number.isFinite(high[i]))) {
      problems.push("actionSpace: bounds must be finite (actions are squashed into them)");
      return { ok: false, problems };
    }
    if (!Number.isInteger(env.maxEpisodeSteps) || env.maxEpisodeSteps < 1) {
      problems.push(`maxEpisodeSteps: expected an integer >= 1, got ${env.maxEpisodeSteps}`);
    }
    const obsDim = env.observationSpace.low.length;
    const actDim = low.length;
    const actions: Float32Array[] = [];
    const rng = new Rng(seed).fork("check-env");
    for (let t = 0; t < steps; t++) {
      const a = new Float32Array(actDim);
      for (let d = 0; d < actDim; d++) a[d] = rng.uniformRange(low[d], high[d]);
      actions.push(a);
    }
    const checkObs = (obs: unknown, where: string): boolean => {
      if (!(obs instanceof Float32Array)) {
        problems.push(`${where}: expected a Float32Array observation, got ${typeof obs}`);
        return false;
      }
      if (obs.length !== obsDim) {
        problems.push(
          `${where}: observation has ${obs.length} numbers, observationSpace ${obsDim}`,
        );
        return false;
      }
      if (obs.some((x) => Number.isNaN(x))) problems.push(`${where}: observation holds NaN`);
      return true;
    };
    /** Plays `actions` from the env's current state, resetting when an episode ends. */
    const play = (e: Env, from: number, count: number, label: string): Trace => {
      const trace: Trace = { obs: [], rewards: [], flags: [] };
      for (let t = from; t < from + count; t++) {
        const r = e.step(actions[t]);
        const where = `${label} step ${t + 1}`;
        if (!checkObs(r?.obs, where)) return trace;
        if (typeof r.reward !== "number" || !Number.isFinite(r.reward)) {
          problems.push(`${where}: reward must be a finite number, got ${r.reward}`);
        }
        for (const flag of ["terminated", "truncated"] as const) {
          if (typeof r[flag] !== "boolean") {
            problems.push(`${where}: ${flag} must be a boolean, got ${typeof r[flag]}`);
          }
        }
        trace.obs.push(Array.from(r.obs));
        trace.rewards.push(r.reward);
        trace.flags.push(`${r.terminated}/${r.truncated}`);
        if (r.terminated || r.truncated) trace.obs.push(Array.from(e.reset()));
      }
      return trace;
    };
    const first = env.reset(seed);
    if (!checkObs(first, "reset(seed)")) return { ok: false, problems };
    const start = Array.from(first);
    const half = Math.floor(steps / 2);
    const before = play(env, 0, half, "first run");
    if (problems.length > 0) return { ok: false, problems };
    // state/load: continue, then rewind to the snapshot and continue again
    const snapshot = structuredClone(env.state());
    const after = play(env, half, steps - half, "first run");
    env.load(structuredClone(snapshot));
    const replay = play(env, half, steps - half, "after load()");
    if (JSON.stringify(replay) !== JSON.stringify(after)) {
      problems.push(
        "state()/load(): stepping on from a loaded state differs from stepping on from the saved one",
      );
    }
    // determinism: the same seed and actions give the same episode again
    const again = Array.from(env.reset(seed));
    if (JSON.stringify(again) !== JSON.stringify(start)) {
      problems.push("reset(seed): two resets with the same seed observe differently");
    } else {
      const twin = play(env, 0, half, "second run");
      if (JSON.stringify(twin) !== JSON.stringify(before)) {
        problems.push("determinism: the same seed and actions gave different steps");
      }
    }
  } catch (e) {
    problems.push(`threw: ${(e as Error).message}`);
  }
  return { ok: problems.length === 0, problems };
}

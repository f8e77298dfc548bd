/**
 * Actions sampled from a trained run's policy at a fixed observation: what the multimodality
 * benchmark and the experiment report's action scatter look at for DoubleWell-v0.
 */
import { loadRunPolicy, Rng, type RunConfig, RunStore } from "../../core/mod.ts";
import { registryFor } from "../cli.ts";

/** Radius around a DoubleWell mode within which a sampled action counts as at that mode. */
export const MODE_RADIUS = 0.2;

/** Stochastic actions of one policy at one observation. */
export interface ActionSamples {
  /** `count * actDim` actions, row-major. */
  actions: Float32Array;
  count: number;
  actDim: number;
  /** The observation every action was sampled at. */
  observation: Float32Array;
  /** The run's resolved config. */
  config: RunConfig;
  /** The env's optimal actions where it declares them (DoubleWell's `modes`), else null. */
  modes: [number, number][] | null;
}

/**
 * Samples `count` stochastic actions (default 1,000, generator seed 12345) from the trained
 * policy of the run in `runDir`, all at the observation its env returns on `reset(0)` (the
 * constant `[1]` for DoubleWell-v0).
 */
export async function sampleRunActions(
  runDir: string,
  { count = 1000, seed = 12345 }: { count?: number; seed?: number } = {},
): Promise<ActionSamples> {
  const store = RunStore.open(runDir, "runDir");
  const registry = await registryFor(store.readConfig());
  const { policy, config } = loadRunPolicy(store, registry);
  try {
    const env = registry.env(config.env).create(config.envParams);
    const observation = Float32Array.from(env.reset(0));
    const declared = (env as { modes?: [number, number][] }).modes;
    env.close?.();
    const obs = new Float32Array(count * observation.length);
    for (let i = 0; i < count; i++) obs.set(observation, i * observation.length);
    const actions = policy.act(obs, { deterministic: false, rng: new Rng(seed) });
    const modes = Array.isArray(declared) ? declared : null;
    return { actions, count, actDim: actions.length / count, observation, config, modes };
  } finally {
    policy.dispose();
  }
}

/** The optimal actions of the sampled run's env; an error when the env declares none. */
export function modesOf(samples: ActionSamples): [number, number][] {
  if (!samples.modes) {
    throw new Error(`env '${samples.config.env}' declares no optimal actions ('modes')`);
  }
  return samples.modes;
}

/** Share of the sampled 2-d actions within `radius` of each of `modes`. */
export function sharesNear(
  samples: Pick<ActionSamples, "actions" | "count" | "actDim">,
  modes: [number, number][],
  radius: number = MODE_RADIUS,
): number[] {
  const { actions, count, actDim } = samples;
  return modes.map(([mx, my]) => {
    let near = 0;
    for (let i = 0; i < count; i++) {
      const x = actions[i * actDim] - mx;
      const y = actions[i * actDim + 1] - my;
      if (Math.hypot(x, y) < radius) near++;
    }
    return near / count;
  });
}

/**
 * Milliseconds per training iteration of an off-policy algorithm once learning has started,
 * measured in-process on a real env through the registry (the same objects the trainer
 * builds). Used by `deno task bench update-time`.
 */
import { type Registry, resolveConfig, Rng, useBackend, VecEnv } from "../core/mod.ts";

/** One timed configuration. */
export interface UpdateTiming {
  label: string;
  msPerUpdate: number;
}

/**
 * Builds `algo` on `env` with `learningStarts` warm-up steps taken, then times `iterations`
 * iterations (one env step plus one update each for the SAC family).
 */
export async function timeUpdates(
  registry: Registry,
  raw: Record<string, unknown>,
  options: { warmup: number; iterations: number },
): Promise<number> {
  await useBackend("wasm");
  const { config, algorithm, policy } = resolveConfig(raw, registry);
  const env = new VecEnv(
    () => registry.env(config.env).create(config.envParams),
    config.numEnvs,
    config.seed,
  );
  const pol = policy.create(
    { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
    config.policyParams,
    new Rng(0),
  );
  const algo = algorithm.create({
    env,
    policy: pol,
    params: config.algoParams,
    rng: new Rng(1),
    totalSteps: options.warmup + options.iterations + 10,
  });
  // fill the buffer past learningStarts, then a few updates to warm up kernels
  while (algo.envSteps < options.warmup) algo.iterate();
  for (let i = 0; i < 3; i++) algo.iterate();
  const t0 = performance.now();
  for (let i = 0; i < options.iterations; i++) algo.iterate();
  const ms = (performance.now() - t0) / options.iterations;
  algo.dispose();
  pol.dispose();
  return ms;
}

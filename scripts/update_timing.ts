/**
 * Milliseconds per env step of any registered algorithm once learning has started, measured
 * in-process on a real env through the registry (the same objects the trainer builds). Used by
 * `deno task bench update-time` and `deno task bench step-time`.
 */
import {
  prepareConfigEnv,
  type Registry,
  resolveConfig,
  Rng,
  useBackend,
  VecEnv,
} from "../core/mod.ts";

/**
 * Builds `algo` on `env` (its preset applies), iterates until `warmupSteps` env steps are taken
 * plus one more iteration to warm up kernels, then returns the milliseconds per env step over
 * at least `measureSteps` further env steps. An iteration is one env step plus one update for
 * the SAC family and one whole rollout plus its update epochs for the PPO family, so
 * `measureSteps` should cover whole rollouts there.
 */
export async function timeEnvSteps(
  registry: Registry,
  raw: Record<string, unknown>,
  options: { warmupSteps: number; measureSteps: number },
): Promise<number> {
  await useBackend("wasm");
  await prepareConfigEnv(raw, registry);
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
    totalSteps: options.warmupSteps + 2 * options.measureSteps + 10_000,
  });
  while (algo.envSteps < options.warmupSteps) algo.iterate();
  algo.iterate();
  const startSteps = algo.envSteps;
  const t0 = performance.now();
  while (algo.envSteps - startSteps < options.measureSteps) algo.iterate();
  const ms = (performance.now() - t0) / (algo.envSteps - startSteps);
  algo.dispose();
  pol.dispose();
  return ms;
}

/**
 * `deno task eval RUN_DIR [--episodes N]`: loads a run's policy and reports its returns.
 */
import {
  ConfigError,
  evalSeed,
  evaluatePolicy,
  loadRunPolicy,
  RunStore,
  useBackend,
} from "../core/mod.ts";
import { type FlagSpec, parseFlags, registryWith, runMain, usage } from "./cli.ts";

const FLAGS: Record<string, FlagSpec> = {
  "--episodes": { key: "episodes", kind: "int", help: "episodes to play (default 10)" },
  "--seed": { key: "seed", kind: "int", help: "env seed (default: the run's evaluation seed)" },
  "--stochastic": { key: "stochastic", kind: "boolean", help: "sample actions (default: mean)" },
  "--backend": { key: "backend", kind: "string", help: "wasm | cpu | tensorflow | webgpu" },
  "--json": { key: "json", kind: "boolean", help: "print the result as JSON" },
  "--help": { key: "help", kind: "boolean", help: "show this help" },
};

await runMain(async () => {
  const args = parseFlags(Deno.args, FLAGS);
  if (args.values.help) {
    console.log(usage("deno task eval RUN_DIR [flags]", FLAGS));
    return 0;
  }
  if (args.positional.length !== 1) {
    throw new ConfigError("RUN_DIR: give exactly one run folder, e.g. deno task eval runs/my-run");
  }
  const episodes = (args.values.episodes as number | undefined) ?? 10;
  if (!Number.isInteger(episodes) || episodes < 1) {
    throw new ConfigError(`--episodes: expected an integer >= 1, got ${episodes}`);
  }
  const store = RunStore.open(args.positional[0], "RUN_DIR");
  const rawConfig = store.readConfig();
  const registry = await registryWith((rawConfig.plugins as string[] | undefined) ?? []);
  const backend = (args.values.backend as string | undefined) ?? rawConfig.backend ?? "wasm";
  await useBackend(backend as "wasm");
  const { policy, config, file } = loadRunPolicy(store, registry);
  const seed = (args.values.seed as number | undefined) ?? evalSeed(config.seed);
  const result = await evaluatePolicy(policy, () => registry.env(file.env).create(file.envParams), {
    episodes,
    seed,
    deterministic: !args.values.stochastic,
  });
  policy.dispose();
  if (args.values.json) {
    console.log(JSON.stringify({ run: store.dir, envSteps: file.envSteps, ...result }));
  } else {
    console.log(
      `${config.algo} on ${config.env} after ${file.envSteps} steps: return ` +
        `${result.mean.toFixed(2)} ± ${result.std.toFixed(2)} over ${episodes} episodes ` +
        `(${args.values.stochastic ? "stochastic" : "deterministic"}, mean length ${
          result.meanLength.toFixed(1)
        })`,
    );
  }
  return 0;
});

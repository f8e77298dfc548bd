/**
 * The core kernel: spaces, envs, policies, algorithms, plugins and the registry, the run
 * config, the trainer, run storage. Imports nothing outside core/ and not the tensor engine.
 */
export * from "./spaces.ts";
export * from "./rng.ts";
export * from "./env.ts";
export * from "./env_view.ts";
export * from "./policy.ts";
export * from "./plugin.ts";
export * from "./schema.ts";
export * from "./config.ts";
export * from "./serialize.ts";
export * from "./run_store.ts";
export * from "./evaluate.ts";
export * from "./trainer.ts";
export * from "./version.ts";

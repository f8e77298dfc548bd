/**
 * The core kernel: spaces, envs, policies, algorithms, plugins and the registry, the run
 * config, the trainer, run storage, and the tensor module. Imports nothing outside core/.
 */
export * from "./tf.ts";
export * from "./spaces.ts";
export * from "./rng.ts";
export * from "./env.ts";
export * from "./env_view.ts";
export * from "./normalizer.ts";
export * from "./policy.ts";
export * from "./plugin.ts";
export * from "./schema.ts";
export * from "./nn.ts";
export * from "./replay.ts";
export * from "./critics.ts";
export * from "./gae.ts";
export * from "./blas.ts";
export * from "./backend.ts";
export * from "./config.ts";
export * from "./serialize.ts";
export * from "./run_store.ts";
export * from "./evaluate.ts";
export * from "./trainer.ts";
export * from "./onnx.ts";
export * from "./onnx_actor.ts";
export * from "./version.ts";

/**
 * dmerl: maximum-entropy reinforcement learning with diffusion policies, in Deno.
 *
 * The public API: the library object ({@link Agent}: create, learn, predict, save, load,
 * evaluate, exportOnnx) and {@link makeEnv}; the core types and `define*` helpers for writing
 * plugins; the trainer; the tensor engine and learner layer; every built-in plugin, algorithm
 * and policy class.
 *
 * @module
 */
export * from "./core/mod.ts";
export * from "./core/tensor/mod.ts";
export * from "./plugins/learners/mod.ts";
export { BUILTIN_PLUGINS, builtinRegistry } from "./plugins/builtin.ts";
export {
  Agent,
  type AgentOptions,
  type AlgoParamsOf,
  type BuiltinAlgorithms,
  type BuiltinPolicies,
  type DefaultPolicyOf,
  type LearnOptions,
  type LearnResult,
  makeEnv,
  type PluginSource,
  type PolicyParamsOf,
  type PredictOptions,
} from "./plugins/agent.ts";
export { Sac } from "./plugins/sac/mod.ts";
export { Td3, type Td3Params } from "./plugins/td3/mod.ts";
export { Ppo } from "./plugins/ppo/mod.ts";
export { Wpo, type WpoParams } from "./plugins/wpo/mod.ts";
export { DiffSac, type DiffSacParams } from "./plugins/diffsac/mod.ts";
export { DiffPpo, type DiffPpoParams } from "./plugins/diffppo/mod.ts";
export { DiffWpo, type DiffWpoParams } from "./plugins/diffwpo/mod.ts";

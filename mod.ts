/**
 * dmerl: maximum-entropy reinforcement learning with diffusion policies, in Deno.
 *
 * The public API: the core types and `define*` helpers for writing plugins, the trainer, and
 * the built-in plugins (classic-control envs, the Gaussian policy, SAC and PPO).
 *
 * @module
 */
export * from "./core/mod.ts";
export * from "./core/tensor/mod.ts";
export * from "./plugins/learners/mod.ts";
export { BUILTIN_PLUGINS, builtinRegistry } from "./plugins/builtin.ts";
export { GaussianPolicy } from "./plugins/gaussian_policy/mod.ts";
export { Sac } from "./plugins/sac/mod.ts";
export { Ppo } from "./plugins/ppo/mod.ts";

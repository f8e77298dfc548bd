/**
 * What several algorithms share (not a plugin): replay, GAE, twin critics and the temperature,
 * the off-policy skeleton, trust regions, the PPO objective, the policy families' learner-side
 * classes, the DA-MDP wrapper and the augmented critic. Imports `core/` and `core/tensor/`,
 * never a plugin.
 */
export * from "./replay.ts";
export * from "./critics.ts";
export * from "./gae.ts";

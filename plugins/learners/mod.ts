/**
 * What several algorithms share (not a plugin): replay, GAE, twin critics and the temperature,
 * the off-policy skeleton, the trust region, the PPO objective, the policy families'
 * learner-side classes, the DA-MDP wrapper and the augmented critic. Imports `core/` and
 * `core/tensor/`, never a plugin.
 */
export * from "./replay.ts";
export * from "./critics.ts";
export * from "./gae.ts";
export * from "./off_policy.ts";
export * from "./soft_actor_critic.ts";
export * from "./trust_region.ts";
export * from "./network_policy.ts";
export * from "./gaussian_policy.ts";
export * from "./deterministic_policy.ts";
export * from "./gaussian_off_policy.ts";
export * from "./diffusion_policy.ts";
export * from "./da_mdp.ts";
export * from "./augmented_critic.ts";
export * from "./log_variance.ts";
export * from "./hl_gauss.ts";
export * from "./categorical_critic.ts";
export * from "./reppo_parts.ts";
export * from "./gaussian_kl.ts";
export * from "./ppo_objective.ts";
export * from "./gaussian_ppo.ts";
export * from "./squashed_gaussian.ts";
export * from "./fused_sac.ts";
export * from "./ppo_parts.ts";
export * from "./presets.ts";

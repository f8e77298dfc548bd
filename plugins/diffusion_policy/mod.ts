/**
 * The diffusion policy plugin and the diffusion-augmented MDP wrapper that DiffSAC, DiffPPO
 * and DiffWPO build on.
 */
import { definePlugin, definePolicy } from "../../core/mod.ts";
import { DIFFUSION_SCHEMA, DiffusionPolicy } from "./policy.ts";

export {
  type ChainSample,
  type DenoiseStep,
  DIFFUSION_SCHEMA,
  type DiffusionParams,
  DiffusionPolicy,
  initialDt,
  inverseSoftplus,
} from "./policy.ts";
export {
  augmentedGamma,
  type AugmentedStep,
  type DaMdpState,
  DiffusionAugmentedEnv,
  softReward,
} from "./da_mdp.ts";

/** Registers the policy as "diffusion". */
export const diffusionPolicy = definePolicy({
  description: "K-step controlled Langevin diffusion policy (DMERL)",
  kind: "diffusion",
  schema: DIFFUSION_SCHEMA,
  create: (spec, params, rng) => new DiffusionPolicy(spec, params, rng),
});

/** The plugin. */
export default definePlugin({ name: "diffusion-policy", policies: { diffusion: diffusionPolicy } });

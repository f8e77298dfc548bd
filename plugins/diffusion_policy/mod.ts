/**
 * The diffusion policy plugin, the diffusion-augmented MDP wrapper that DiffSAC, DiffPPO
 * and DiffWPO build on, and the augmented critic machinery DiffSAC and DiffWPO share.
 */
import { definePlugin, definePolicy } from "../../core/mod.ts";
import { DIFFUSION_SCHEMA, DiffusionPolicy } from "../learners/mod.ts";

export {
  type ChainSample,
  type DenoiseStep,
  DIFFUSION_SCHEMA,
  type DiffusionParams,
  DiffusionPolicy,
  initialDt,
  inverseSoftplus,
} from "../learners/mod.ts";
export {
  augmentedGamma,
  type AugmentedStep,
  type DaMdpState,
  DiffusionAugmentedEnv,
  softReward,
} from "../learners/mod.ts";
export {
  AUGMENTED_CRITIC_SCHEMA,
  type AugmentedCriticBatch,
  augmentedCriticBatch,
  augmentedCriticInput,
  augmentedCriticInputs,
  augmentedDiscount,
  chainReplayLayout,
  collectChainStep,
  latentAt,
} from "../learners/mod.ts";

/** Registers the policy as "diffusion". */
export const diffusionPolicy = definePolicy({
  description: "K-step controlled Langevin diffusion policy (DMERL)",
  kind: "diffusion",
  schema: DIFFUSION_SCHEMA,
  create: (spec, params, rng) => new DiffusionPolicy(spec, params, rng),
});

/** The plugin. */
export default definePlugin({ name: "diffusion-policy", policies: { diffusion: diffusionPolicy } });

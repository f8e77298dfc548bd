/** The DiffREPPO algorithm plugin (REPPO on the diffusion-augmented MDP). */
import { defineAlgorithm, definePlugin } from "../../core/mod.ts";
import type { DiffusionPolicy } from "../learners/mod.ts";
import { DiffReppo, DIFFREPPO_POLICY_DEFAULTS, DIFFREPPO_SCHEMA } from "./diffreppo.ts";
import pendulum from "./presets/Pendulum-v1.json" with { type: "json" };
import hopper from "./presets/Hopper-v4.json" with { type: "json" };

export {
  DiffReppo,
  DIFFREPPO_POLICY_DEFAULTS,
  DIFFREPPO_SCHEMA,
  type DiffReppoMinibatch,
  type DiffReppoParams,
} from "./diffreppo.ts";

/** DiffREPPO's registry entry. */
export const diffreppoAlgorithm = defineAlgorithm<typeof DIFFREPPO_SCHEMA, DiffusionPolicy>({
  description: "DiffREPPO: REPPO on one denoising step of the DA-MDP (K KL trust region)",
  schema: DIFFREPPO_SCHEMA,
  defaultPolicy: "diffusion",
  policyKinds: ["diffusion"],
  policyParams: DIFFREPPO_POLICY_DEFAULTS,
  defaultNumEnvs: 8,
  // Hopper-v4: the code's Brax setting (rewards x 0.1, no return normalisation, bins on
  // [0, 150]) at CPU batch sizes; not measured here
  presets: { "Pendulum-v1": pendulum, "Hopper-v4": hopper },
  create: (context) => new DiffReppo(context),
});

/** The plugin. */
export default definePlugin({
  name: "diffreppo",
  algorithms: { diffreppo: diffreppoAlgorithm },
});

/** The REPPO algorithm plugin (Relative Entropy Pathwise Policy Optimization). */
import { defineAlgorithm, definePlugin } from "../../core/mod.ts";
import { type GaussianPolicy, REPPO_SCHEMA } from "../learners/mod.ts";
import { Reppo } from "./reppo.ts";
import pendulum from "./presets/Pendulum-v1.json" with { type: "json" };
import hopper from "./presets/Hopper-v4.json" with { type: "json" };

export { Reppo } from "./reppo.ts";
export { REPPO_SCHEMA, type ReppoParams } from "../learners/mod.ts";

/** REPPO's actor: the code's SiLU network with observation normalisation, at CPU width. */
export const REPPO_POLICY_DEFAULTS = {
  hidden: [256, 256],
  activation: "silu",
  logStd: "state",
  normalizeObs: true,
};

/** REPPO's registry entry. */
export const reppoAlgorithm = defineAlgorithm<typeof REPPO_SCHEMA, GaussianPolicy>({
  description: "REPPO: on-policy pathwise actor through an HL-Gauss Q, KL trust region",
  schema: REPPO_SCHEMA,
  defaultPolicy: "gaussian",
  policyKinds: ["gaussian"],
  policyParams: REPPO_POLICY_DEFAULTS,
  defaultNumEnvs: 8,
  // Hopper-v4: the code's Brax setting (rewards x 0.1, no return normalisation, bins on
  // [0, 150]) at CPU batch sizes; not measured here
  presets: { "Pendulum-v1": pendulum, "Hopper-v4": hopper },
  create: (context) => new Reppo(context),
});

/** The plugin. */
export default definePlugin({ name: "reppo", algorithms: { reppo: reppoAlgorithm } });

/** The PPO algorithm plugin. */
import { defineAlgorithm, definePlugin } from "../../core/mod.ts";
import { Ppo, PPO_POLICY_DEFAULTS, PPO_SCHEMA } from "./ppo.ts";
import pendulum from "./presets/Pendulum-v1.json" with { type: "json" };

export { Ppo, PPO_POLICY_DEFAULTS, PPO_SCHEMA, type PpoParams } from "./ppo.ts";
export { PpoParts, type PpoPartsParams, type PpoPartsState } from "../learners/ppo_parts.ts";
export {
  explainedVariance,
  gatherRows,
  type MinibatchTerms,
  type PpoEpochOptions,
  ppoEpochOptions,
  ppoEpochs,
  type RolloutFields,
} from "../learners/ppo_objective.ts";

/** PPO's registry entry. */
export const ppoAlgorithm = defineAlgorithm({
  description: "Proximal Policy Optimization (GAE, clipping, obs and reward normalisation)",
  schema: PPO_SCHEMA,
  defaultPolicy: "gaussian",
  policyKinds: ["gaussian"],
  policyParams: PPO_POLICY_DEFAULTS,
  defaultNumEnvs: 1,
  presets: { "Pendulum-v1": pendulum },
  create: (context) => new Ppo(context),
});

/** The plugin. */
export default definePlugin({ name: "ppo", algorithms: { ppo: ppoAlgorithm } });

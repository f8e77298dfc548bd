/** The SAC algorithm plugin. */
import { defineAlgorithm, definePlugin } from "../../core/mod.ts";
import { Sac, SAC_SCHEMA } from "./sac.ts";
import pendulum from "./presets/Pendulum-v1.json" with { type: "json" };
import doubleWell from "./presets/DoubleWell-v0.json" with { type: "json" };

export { Sac, SAC_SCHEMA, type SacParams } from "./sac.ts";
export {
  type SoftActorCriticCounters,
  type SoftActorCriticParams,
  SoftActorCriticParts,
  type SoftActorCriticState,
} from "../learners/soft_actor_critic.ts";
export {
  collectGaussianStep,
  gaussianReplayLayout,
  type SoftCriticBatch,
  softCriticBatch,
} from "../learners/gaussian_off_policy.ts";

/** SAC's registry entry. */
export const sacAlgorithm = defineAlgorithm({
  description: "Soft Actor-Critic (twin Q, target networks, learned temperature)",
  schema: SAC_SCHEMA,
  defaultPolicy: "gaussian",
  policyKinds: ["gaussian"],
  defaultNumEnvs: 1,
  presets: { "Pendulum-v1": pendulum, "DoubleWell-v0": doubleWell },
  create: (context) => new Sac(context),
});

/** The plugin. */
export default definePlugin({ name: "sac", algorithms: { sac: sacAlgorithm } });

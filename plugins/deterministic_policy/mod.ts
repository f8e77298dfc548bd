/** The deterministic policy plugin (TD3's actor; the policy itself lives in the learner layer). */
import { definePlugin, definePolicy } from "../../core/mod.ts";
import { DETERMINISTIC_SCHEMA, DeterministicPolicy } from "../learners/mod.ts";

export {
  DETERMINISTIC_SCHEMA,
  type DeterministicParams,
  DeterministicPolicy,
} from "../learners/mod.ts";

/** Registers the policy as "deterministic". */
export const deterministicPolicy = definePolicy({
  description: "deterministic tanh actor, rescaled to the action Box (TD3-style)",
  kind: "deterministic",
  schema: DETERMINISTIC_SCHEMA,
  create: (spec, params, rng) => new DeterministicPolicy(spec, params, rng),
});

/** The plugin. */
export default definePlugin({
  name: "deterministic-policy",
  policies: { deterministic: deterministicPolicy },
});

/** The tanh-squashed Gaussian policy plugin (the policy itself lives in the learner layer). */
import { definePlugin, definePolicy } from "../../core/mod.ts";
import { GAUSSIAN_SCHEMA, GaussianPolicy } from "../learners/mod.ts";

export {
  GAUSSIAN_SCHEMA,
  type GaussianParams,
  GaussianPolicy,
  type GaussianSample,
} from "../learners/mod.ts";

/** Registers the policy as "gaussian". */
export const gaussianPolicy = definePolicy({
  description: "tanh-squashed diagonal Gaussian (SAC-style)",
  kind: "gaussian",
  schema: GAUSSIAN_SCHEMA,
  create: (spec, params, rng) => new GaussianPolicy(spec, params, rng),
});

/** The plugin. */
export default definePlugin({ name: "gaussian-policy", policies: { gaussian: gaussianPolicy } });

/** The WPO algorithm plugin (Wasserstein Policy Optimization with the tanh-Gaussian policy). */
import { defineAlgorithm, definePlugin } from "../../core/mod.ts";
import type { GaussianPolicy } from "../learners/mod.ts";
import { Wpo, WPO_SCHEMA } from "./wpo.ts";
import pendulum from "./presets/Pendulum-v1.json" with { type: "json" };

export {
  gaussianKl,
  type GaussianParamsOf,
  gaussianWpoLoss,
  softActionGradient,
  Wpo,
  WPO_SCHEMA,
  type WpoParams,
  type WpoSample,
} from "./wpo.ts";

/** WPO's registry entry. */
export const wpoAlgorithm = defineAlgorithm<typeof WPO_SCHEMA, GaussianPolicy>({
  description:
    "Wasserstein Policy Optimization (Gaussian, Fisher-preconditioned, KL trust region, twin Q)",
  schema: WPO_SCHEMA,
  defaultPolicy: "gaussian",
  policyKinds: ["gaussian"],
  defaultNumEnvs: 1,
  presets: { "Pendulum-v1": pendulum },
  create: (context) => new Wpo(context),
});

/** The plugin. */
export default definePlugin({ name: "wpo", algorithms: { wpo: wpoAlgorithm } });

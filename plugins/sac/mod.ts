/** The SAC algorithm plugin. */
import { defineAlgorithm, definePlugin } from "../../core/mod.ts";
import { type GaussianPolicy, MUJOCO_LOCOMOTION, presetsFor, SAC_SCHEMA } from "../learners/mod.ts";
import { Sac } from "./sac.ts";
import pendulum from "./presets/Pendulum-v1.json" with { type: "json" };
import doubleWell from "./presets/DoubleWell-v0.json" with { type: "json" };
import mujoco from "./presets/mujoco.json" with { type: "json" };

export { Sac } from "./sac.ts";
export { SAC_SCHEMA, type SacParams } from "../learners/mod.ts";

/** SAC's registry entry. */
export const sacAlgorithm = defineAlgorithm<typeof SAC_SCHEMA, GaussianPolicy>({
  description: "Soft Actor-Critic (twin Q, target networks, learned temperature)",
  schema: SAC_SCHEMA,
  defaultPolicy: "gaussian",
  policyKinds: ["gaussian"],
  defaultNumEnvs: 1,
  presets: {
    "Pendulum-v1": pendulum,
    "DoubleWell-v0": doubleWell,
    // CleanRL's cleanrl/sac_continuous_action.py defaults, its MuJoCo setting (https://github.com/vwxyzjn/cleanrl (commit fe8d8a0))
    ...presetsFor(MUJOCO_LOCOMOTION, mujoco),
  },
  create: (context) => new Sac(context),
});

/** The plugin. */
export default definePlugin({ name: "sac", algorithms: { sac: sacAlgorithm } });

/** The PPO algorithm plugin. */
import { defineAlgorithm, definePlugin } from "../../core/mod.ts";
import {
  annealExtensionNote,
  type GaussianPolicy,
  MUJOCO_LOCOMOTION,
  PPO_SCHEMA,
  presetsFor,
} from "../learners/mod.ts";
import { Ppo, PPO_POLICY_DEFAULTS } from "./ppo.ts";
import pendulum from "./presets/Pendulum-v1.json" with { type: "json" };
import mujoco from "./presets/mujoco.json" with { type: "json" };

export { Ppo, PPO_POLICY_DEFAULTS } from "./ppo.ts";
export { PPO_SCHEMA, type PpoParams } from "../learners/mod.ts";

/** PPO's registry entry. */
export const ppoAlgorithm = defineAlgorithm<typeof PPO_SCHEMA, GaussianPolicy>({
  description: "Proximal Policy Optimization (GAE, clipping, obs and reward normalisation)",
  schema: PPO_SCHEMA,
  defaultPolicy: "gaussian",
  policyKinds: ["gaussian"],
  policyParams: PPO_POLICY_DEFAULTS,
  defaultNumEnvs: 1,
  presets: {
    "Pendulum-v1": pendulum,
    // CleanRL's cleanrl/ppo_continuous_action.py defaults, its MuJoCo setting (https://github.com/vwxyzjn/cleanrl (commit fe8d8a0)):
    // 64x64 tanh networks, orthogonal init, a learned state-independent log std
    ...presetsFor(MUJOCO_LOCOMOTION, mujoco),
  },
  extensionNote: annealExtensionNote,
  create: (context) => new Ppo(context),
});

/** The plugin. */
export default definePlugin({ name: "ppo", algorithms: { ppo: ppoAlgorithm } });

/** The TD3 algorithm plugin (CleanRL's td3_continuous_action.py on the off-policy skeleton). */
import { defineAlgorithm, definePlugin } from "../../core/mod.ts";
import { type DeterministicPolicy, MUJOCO_LOCOMOTION, presetsFor } from "../learners/mod.ts";
import { Td3, TD3_SCHEMA } from "./td3.ts";
import pendulum from "./presets/Pendulum-v1.json" with { type: "json" };
import mujoco from "./presets/mujoco.json" with { type: "json" };

export { Td3, TD3_SCHEMA, type Td3Params } from "./td3.ts";

/** TD3's registry entry. */
export const td3Algorithm = defineAlgorithm<typeof TD3_SCHEMA, DeterministicPolicy>({
  description: "Twin Delayed DDPG (twin Q, target policy smoothing, delayed actor)",
  schema: TD3_SCHEMA,
  defaultPolicy: "deterministic",
  policyKinds: ["deterministic"],
  defaultNumEnvs: 1,
  presets: {
    "Pendulum-v1": pendulum,
    // CleanRL's cleanrl/td3_continuous_action.py defaults, its MuJoCo setting (https://github.com/vwxyzjn/cleanrl (commit fe8d8a0))
    ...presetsFor(MUJOCO_LOCOMOTION, mujoco),
  },
  create: (context) => new Td3(context),
});

/** The plugin. */
export default definePlugin({ name: "td3", algorithms: { td3: td3Algorithm } });

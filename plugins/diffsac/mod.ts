/** The DiffSAC algorithm plugin (SAC with the diffusion policy, DMERL). */
import { defineAlgorithm, definePlugin } from "../../core/mod.ts";
import { type DiffusionPolicy, MUJOCO_LOCOMOTION, presetsFor } from "../learners/mod.ts";
import { DiffSac, DIFFSAC_SCHEMA } from "./diffsac.ts";
import pendulum from "./presets/Pendulum-v1.json" with { type: "json" };
import doubleWell from "./presets/DoubleWell-v0.json" with { type: "json" };
import hopper from "./presets/Hopper-v4.json" with { type: "json" };
import mujoco from "./presets/mujoco.json" with { type: "json" };

export { DiffSac, DIFFSAC_SCHEMA, type DiffSacParams } from "./diffsac.ts";

/** DiffSAC's registry entry. */
export const diffsacAlgorithm = defineAlgorithm<typeof DIFFSAC_SCHEMA, DiffusionPolicy>({
  description: "DiffSAC: SAC with a K-step diffusion policy (augmented or chain surrogate)",
  schema: DIFFSAC_SCHEMA,
  defaultPolicy: "diffusion",
  policyKinds: ["diffusion"],
  defaultNumEnvs: 1,
  // Hopper: SAC's CleanRL defaults (learningStarts 5000, 1M steps) with Pendulum's score network
  presets: {
    "Pendulum-v1": pendulum,
    "DoubleWell-v0": doubleWell,
    // Not the paper's own MuJoCo setting: the off-policy settings are CleanRL's SAC MuJoCo
    // defaults (cleanrl/sac_continuous_action.py, https://github.com/vwxyzjn/cleanrl (commit fe8d8a0)); the diffusion policy keeps
    // its defaults, but for Hopper-v4's smaller network
    ...presetsFor(MUJOCO_LOCOMOTION, mujoco, { "Hopper-v4": hopper }),
  },
  create: (context) => new DiffSac(context),
});

/** The plugin. */
export default definePlugin({ name: "diffsac", algorithms: { diffsac: diffsacAlgorithm } });

/** The DiffWPO algorithm plugin (WPO on one denoising step of the DA-MDP, DMERL). */
import { defineAlgorithm, definePlugin } from "../../core/mod.ts";
import { type DiffusionPolicy, MUJOCO_LOCOMOTION, presetsFor } from "../learners/mod.ts";
import { DiffWpo, DIFFWPO_POLICY_DEFAULTS, DIFFWPO_SCHEMA } from "./diffwpo.ts";
import pendulum from "./presets/Pendulum-v1.json" with { type: "json" };
import mujoco from "./presets/mujoco.json" with { type: "json" };

export {
  DiffWpo,
  DIFFWPO_POLICY_DEFAULTS,
  DIFFWPO_SCHEMA,
  type DiffWpoParams,
  type DiffWpoSample,
  type Kernel,
  kernelKl,
  logRatioActionGrad,
} from "./diffwpo.ts";

/** DiffWPO's registry entry. */
export const diffwpoAlgorithm = defineAlgorithm<typeof DIFFWPO_SCHEMA, DiffusionPolicy>({
  description:
    "DiffWPO: WPO on one denoising step of the DA-MDP (twin Q, fixed friction, KL trust region)",
  schema: DIFFWPO_SCHEMA,
  defaultPolicy: "diffusion",
  policyKinds: ["diffusion"],
  policyParams: DIFFWPO_POLICY_DEFAULTS,
  defaultNumEnvs: 1,
  // Pendulum's preset uses K = 2: the augmented critic trains each k on 1/K of every batch, and at
  // K = 8 it had not learned within the 20k-step budget (BENCHMARKS.md)
  presets: {
    "Pendulum-v1": pendulum,
    // Not the paper's own MuJoCo setting: the off-policy settings are CleanRL's SAC MuJoCo
    // defaults (cleanrl/sac_continuous_action.py, https://github.com/vwxyzjn/cleanrl (commit fe8d8a0))
    ...presetsFor(MUJOCO_LOCOMOTION, mujoco),
  },
  create: (context) => new DiffWpo(context),
});

/** The plugin. */
export default definePlugin({ name: "diffwpo", algorithms: { diffwpo: diffwpoAlgorithm } });

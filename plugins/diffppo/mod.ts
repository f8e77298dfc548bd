/**
 * DiffPPO (PPO on the diffusion-augmented MDP) and DPPO, the same algorithm with tau = 0.
 */
import { defineAlgorithm, definePlugin } from "../../core/mod.ts";
import {
  annealExtensionNote,
  type DiffusionPolicy,
  MUJOCO_LOCOMOTION,
  presetsFor,
} from "../learners/mod.ts";
import { DiffPpo, DIFFPPO_POLICY_DEFAULTS, DIFFPPO_SCHEMA } from "./diffppo.ts";
import pendulum from "./presets/Pendulum-v1.json" with { type: "json" };
import mujoco from "./presets/mujoco.json" with { type: "json" };

export { DiffPpo, DIFFPPO_POLICY_DEFAULTS, DIFFPPO_SCHEMA, type DiffPpoParams } from "./diffppo.ts";

const common = {
  schema: DIFFPPO_SCHEMA,
  defaultPolicy: "diffusion",
  policyKinds: ["diffusion"],
  policyParams: DIFFPPO_POLICY_DEFAULTS,
  defaultNumEnvs: 1,
  // Pendulum's per-augmented-step gamma and lambda are its PPO preset's (0.9, 0.95) ^ (1/8)
  presets: {
    "Pendulum-v1": pendulum,
    // Not the paper's own MuJoCo setting: CleanRL's PPO MuJoCo defaults
    // (cleanrl/ppo_continuous_action.py, https://github.com/vwxyzjn/cleanrl (commit fe8d8a0)), with gamma and GAE lambda per
    // augmented step, (0.99, 0.95) ^ (1/8) for the default K = 8
    ...presetsFor(MUJOCO_LOCOMOTION, mujoco),
  },
  extensionNote: annealExtensionNote,
};

/** DiffPPO's registry entry. */
export const diffppoAlgorithm = defineAlgorithm<typeof DIFFPPO_SCHEMA, DiffusionPolicy>({
  ...common,
  description: "DiffPPO: PPO on the diffusion-augmented MDP with the soft reward r - tau l_k",
  create: (context) => new DiffPpo(context),
});

/** DPPO's hyper-parameters: DiffPPO's with tau = 0 by default. */
const DPPO_SCHEMA = { ...DIFFPPO_SCHEMA, tau: { ...DIFFPPO_SCHEMA.tau, default: 0 } } as const;

/** DPPO (Ren et al. 2025): DiffPPO with tau = 0, i.e. no entropy term. */
export const dppoAlgorithm = defineAlgorithm<typeof DPPO_SCHEMA, DiffusionPolicy>({
  ...common,
  schema: DPPO_SCHEMA,
  description: "DPPO: per-denoising-step PPO over the diffusion chain (DiffPPO with tau = 0)",
  create: (context) => new DiffPpo(context),
});

/** The plugin. */
export default definePlugin({
  name: "diffppo",
  algorithms: { diffppo: diffppoAlgorithm, dppo: dppoAlgorithm },
});

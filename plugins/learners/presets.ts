/**
 * Presets shared across envs: the MuJoCo locomotion tasks get one published setting per
 * algorithm (CleanRL tunes SAC, TD3 and PPO once for all of them, 1M env steps).
 */
import type { Preset } from "../../core/mod.ts";

/** Gymnasium's MuJoCo locomotion tasks, the suite CleanRL's continuous-control settings target. */
export const MUJOCO_LOCOMOTION: readonly string[] = [
  "Hopper-v4",
  "HalfCheetah-v4",
  "Walker2d-v4",
  "Ant-v4",
  "Humanoid-v4",
];

/**
 * `preset` for every id in `ids`; `own` entries (an env's own tuned preset) are merged over
 * it, field by field for the params objects.
 */
export function presetsFor(
  ids: readonly string[],
  preset: Preset,
  own: Record<string, Preset> = {},
): Record<string, Preset> {
  const out: Record<string, Preset> = {};
  for (const id of ids) {
    const extra = own[id] ?? {};
    out[id] = {
      ...preset,
      ...extra,
      algoParams: { ...preset.algoParams, ...extra.algoParams },
      policyParams: { ...preset.policyParams, ...extra.policyParams },
    };
  }
  return out;
}

/**
 * Gymnasium's MuJoCo continuous-control tasks (v4 semantics) on the official MuJoCo
 * WebAssembly build. The engine loads on first use: each env's `prepare` awaits it.
 */
// The kernel files themselves, not core/mod.ts: the viewer page bundles this module.
import type { EnvFactory } from "../../core/env.ts";
import { definePlugin, type EnvDefinition } from "../../core/plugin.ts";
import { loadMujocoEngine } from "../../envs/mujoco/runtime.ts";
import { createHopper } from "../../envs/mujoco/hopper.ts";
import { createInvertedPendulum } from "../../envs/mujoco/inverted_pendulum.ts";
import { createHalfCheetah } from "../../envs/mujoco/half_cheetah.ts";
import { createWalker2d } from "../../envs/mujoco/walker2d.ts";
import { createAnt } from "../../envs/mujoco/ant.ts";
import { createHumanoid } from "../../envs/mujoco/humanoid.ts";

async function prepare(): Promise<void> {
  await loadMujocoEngine();
}

/** The three.js drawing, loaded only by the viewer page. */
async function view() {
  return (await import("./view.ts")).mujocoView;
}

function mujocoEnv(description: string, create: EnvFactory): EnvDefinition {
  return { description, create, prepare, view };
}

/** The task ids this plugin registers, in the order the benchmarks list them. */
export const MUJOCO_ENV_IDS: readonly string[] = [
  "InvertedPendulum-v4",
  "Hopper-v4",
  "HalfCheetah-v4",
  "Walker2d-v4",
  "Ant-v4",
  "Humanoid-v4",
];

/** The plugin. */
export default definePlugin({
  name: "mujoco",
  envs: {
    "InvertedPendulum-v4": mujocoEnv(
      "Gymnasium InvertedPendulum-v4 (MuJoCo): balance a pole on a cart, obs 4, act 1",
      createInvertedPendulum,
    ),
    "Hopper-v4": mujocoEnv(
      "Gymnasium Hopper-v4 (MuJoCo): hop forward on one leg, obs 11, act 3",
      createHopper,
    ),
    "HalfCheetah-v4": mujocoEnv(
      "Gymnasium HalfCheetah-v4 (MuJoCo): run forward, never terminates, obs 17, act 6",
      createHalfCheetah,
    ),
    "Walker2d-v4": mujocoEnv(
      "Gymnasium Walker2d-v4 (MuJoCo): walk forward on two legs, obs 17, act 6",
      createWalker2d,
    ),
    "Ant-v4": mujocoEnv(
      "Gymnasium Ant-v4 (MuJoCo): quadruped running forward, obs 27, act 8",
      createAnt,
    ),
    "Humanoid-v4": mujocoEnv(
      "Gymnasium Humanoid-v4 (MuJoCo): humanoid running forward, obs 376, act 17",
      createHumanoid,
    ),
  },
});

/**
 * The DeepMind Control suite's tasks (dm_control's definitions) on the MuJoCo WebAssembly
 * engine. Ids are `dmc/<domain>-<task>`; MuJoCo Playground's names (e.g. `CheetahRun`) are
 * registered beside them as aliases of the same definitions. The engine loads on first use:
 * each env's `prepare` awaits it.
 */
// The kernel files themselves, not core/mod.ts: the viewer page bundles this module.
import type { EnvFactory } from "../../core/env.ts";
import { definePlugin, type EnvDefinition } from "../../core/plugin.ts";
import { loadMujocoEngine } from "../../envs/mujoco/runtime.ts";
import { DmcEnv, type RawLoop } from "../../envs/dmc/dmc_env.ts";
import { createPendulumSwingup } from "../../envs/dmc/pendulum.ts";
import {
  createCartpoleBalance,
  createCartpoleBalanceSparse,
  createCartpoleSwingup,
  createCartpoleSwingupSparse,
} from "../../envs/dmc/cartpole.ts";
import { createCheetahRun } from "../../envs/dmc/cheetah.ts";
import { createWalkerRun, createWalkerStand, createWalkerWalk } from "../../envs/dmc/walker.ts";
import { createHopperHop, createHopperStand } from "../../envs/dmc/hopper.ts";
import { createAcrobotSwingup, createAcrobotSwingupSparse } from "../../envs/dmc/acrobot.ts";
import { createFingerSpin } from "../../envs/dmc/finger.ts";
import { createFishSwim } from "../../envs/dmc/fish.ts";
import { createReacherEasy, createReacherHard } from "../../envs/dmc/reacher.ts";
import {
  createHumanoidRun,
  createHumanoidStand,
  createHumanoidWalk,
} from "../../envs/dmc/humanoid.ts";

async function prepare(): Promise<void> {
  await loadMujocoEngine();
}

/** The three.js drawing, loaded only by the viewer page. */
async function view() {
  return (await import("./view.ts")).dmcView;
}

/** One suite task: its id, Playground alias, factory and a one-line description. */
interface DmcTask {
  id: string;
  alias: string;
  create: EnvFactory;
  description: string;
}

/** The tasks, in the order the benchmarks list them. */
const TASKS: readonly DmcTask[] = [
  {
    id: "dmc/pendulum-swingup",
    alias: "PendulumSwingup",
    create: createPendulumSwingup,
    description: "swing a pendulum up and balance it, obs 3, act 1",
  },
  {
    id: "dmc/cartpole-balance",
    alias: "CartpoleBalance",
    create: createCartpoleBalance,
    description: "balance a pole on a cart, obs 5, act 1",
  },
  {
    id: "dmc/cartpole-balance-sparse",
    alias: "CartpoleBalanceSparse",
    create: createCartpoleBalanceSparse,
    description: "balance a pole on a cart, indicator reward, obs 5, act 1",
  },
  {
    id: "dmc/cartpole-swingup",
    alias: "CartpoleSwingup",
    create: createCartpoleSwingup,
    description: "swing a pole up on a cart and balance it, obs 5, act 1",
  },
  {
    id: "dmc/cartpole-swingup-sparse",
    alias: "CartpoleSwingupSparse",
    create: createCartpoleSwingupSparse,
    description: "cart-pole swing-up, indicator reward, obs 5, act 1",
  },
  {
    id: "dmc/cheetah-run",
    alias: "CheetahRun",
    create: createCheetahRun,
    description: "planar cheetah running at 10 m/s, obs 17, act 6",
  },
  {
    id: "dmc/walker-stand",
    alias: "WalkerStand",
    create: createWalkerStand,
    description: "planar walker standing up, obs 24, act 6",
  },
  {
    id: "dmc/walker-walk",
    alias: "WalkerWalk",
    create: createWalkerWalk,
    description: "planar walker walking at 1 m/s, obs 24, act 6",
  },
  {
    id: "dmc/walker-run",
    alias: "WalkerRun",
    create: createWalkerRun,
    description: "planar walker running at 8 m/s, obs 24, act 6",
  },
  {
    id: "dmc/hopper-stand",
    alias: "HopperStand",
    create: createHopperStand,
    description: "planar hopper standing upright, obs 15, act 4",
  },
  {
    id: "dmc/hopper-hop",
    alias: "HopperHop",
    create: createHopperHop,
    description: "planar hopper hopping forward at 2 m/s, obs 15, act 4",
  },
  {
    id: "dmc/acrobot-swingup",
    alias: "AcrobotSwingup",
    create: createAcrobotSwingup,
    description: "swing an acrobot's tip up to a target, obs 6, act 1",
  },
  {
    id: "dmc/acrobot-swingup-sparse",
    alias: "AcrobotSwingupSparse",
    create: createAcrobotSwingupSparse,
    description: "acrobot swing-up, indicator reward, obs 6, act 1",
  },
  {
    id: "dmc/finger-spin",
    alias: "FingerSpin",
    create: createFingerSpin,
    description: "spin a hinged body with a two-joint finger, obs 9, act 2",
  },
  {
    id: "dmc/fish-swim",
    alias: "FishSwim",
    create: createFishSwim,
    description: "swim a fish's mouth to a random target, obs 24, act 5",
  },
  {
    id: "dmc/reacher-easy",
    alias: "ReacherEasy",
    create: createReacherEasy,
    description: "bring a two-link arm's finger into a 5 cm target, obs 6, act 2",
  },
  {
    id: "dmc/reacher-hard",
    alias: "ReacherHard",
    create: createReacherHard,
    description: "bring a two-link arm's finger into a 1.5 cm target, obs 6, act 2",
  },
  {
    id: "dmc/humanoid-stand",
    alias: "HumanoidStand",
    create: createHumanoidStand,
    description: "3-D humanoid standing still with its head above 1.4 m, obs 67, act 21",
  },
  {
    id: "dmc/humanoid-walk",
    alias: "HumanoidWalk",
    create: createHumanoidWalk,
    description: "3-D humanoid walking at 1 m/s, obs 67, act 21",
  },
  {
    id: "dmc/humanoid-run",
    alias: "HumanoidRun",
    create: createHumanoidRun,
    description: "3-D humanoid running at 10 m/s, obs 67, act 21",
  },
];

/** The task ids this plugin registers, in the order the benchmarks list them. */
export const DMC_ENV_IDS: readonly string[] = TASKS.map((t) => t.id);

/** MuJoCo Playground's name of each task id. */
export const DMC_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(
  TASKS.map((t) => [t.id, t.alias]),
);

const envs: Record<string, EnvDefinition> = {};
for (const task of TASKS) {
  const definition: EnvDefinition = {
    description: `DeepMind Control ${task.id.slice(4)} (MuJoCo): ${task.description}`,
    create: task.create,
    prepare,
    view,
  };
  envs[task.id] = definition;
  envs[task.alias] = { ...definition, description: `alias of ${task.id}` };
}

/**
 * A bare `mj_step` loop on a copy of `env`'s model (for speed comparisons); throws when `env`
 * is not one of this plugin's tasks.
 */
export function dmcRawLoop(env: unknown): RawLoop {
  if (!(env instanceof DmcEnv)) throw new Error("dmcRawLoop: expected a DMC task env");
  return env.rawLoop();
}

/** The plugin. */
export default definePlugin({ name: "dmc", envs });

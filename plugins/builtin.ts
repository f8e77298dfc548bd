/** The built-in plugins, listed in one place. */
import { type Plugin, Registry } from "../core/mod.ts";
import classicControl from "./classic_control/mod.ts";
import gaussianPolicy from "./gaussian_policy/mod.ts";
import deterministicPolicy from "./deterministic_policy/mod.ts";
import sac from "./sac/mod.ts";
import ppo from "./ppo/mod.ts";
import diffusionPolicy from "./diffusion_policy/mod.ts";
import diffsac from "./diffsac/mod.ts";
import diffppo from "./diffppo/mod.ts";
import wpo from "./wpo/mod.ts";
import diffwpo from "./diffwpo/mod.ts";
import td3 from "./td3/mod.ts";
import reppo from "./reppo/mod.ts";
import diffreppo from "./diffreppo/mod.ts";
import mujoco from "./mujoco/mod.ts";
import dmc from "./dmc/mod.ts";

/** Every plugin that ships with dmerl, in registration order. */
export const BUILTIN_PLUGINS: Plugin[] = [
  classicControl,
  mujoco,
  dmc,
  gaussianPolicy,
  diffusionPolicy,
  deterministicPolicy,
  sac,
  ppo,
  diffsac,
  diffppo,
  wpo,
  diffwpo,
  td3,
  reppo,
  diffreppo,
];

/** A registry holding the built-in plugins. */
export function builtinRegistry(): Registry {
  const registry = new Registry({ defaults: { algo: "sac", env: "Pendulum-v1" } });
  for (const plugin of BUILTIN_PLUGINS) registry.register(plugin);
  return registry;
}

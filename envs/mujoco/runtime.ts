/**
 * The MuJoCo WebAssembly engine (`@mujoco/mujoco`), loaded once per process on first use.
 *
 * Loading is asynchronous (the module compiles its WebAssembly) while env construction is
 * synchronous, so MuJoCo env definitions carry a `prepare()` that awaits
 * {@link loadMujocoEngine}; the entry points call it through `Registry.prepareEnv` before the
 * first env is built.
 */
import loadMujoco, { type MainModule } from "@mujoco/mujoco";

/** The loaded engine: `MjModel`, `MjData` and the `mj_*` functions. */
export type MujocoEngine = MainModule;

let loading: Promise<MujocoEngine> | null = null;
let loaded: MujocoEngine | null = null;

/** Loads the engine (once; later calls return the same promise). */
export function loadMujocoEngine(): Promise<MujocoEngine> {
  loading ??= loadMujoco().then((engine) => (loaded = engine));
  return loading;
}

/** The loaded engine; throws a clear error when {@link loadMujocoEngine} has not finished. */
export function mujocoEngine(who: string): MujocoEngine {
  if (loaded === null) {
    throw new Error(
      `${who}: the MuJoCo engine is not loaded yet; await registry.prepareEnv(id) ` +
        `(or loadMujocoEngine()) before building a MuJoCo env`,
    );
  }
  return loaded;
}

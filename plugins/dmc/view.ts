/// <reference lib="dom" />
/**
 * How the DeepMind Control tasks are drawn in the viewer page: the shared three.js scene of the
 * model (plugins/mujoco_scene.ts) seen through the model's own camera 0, the view the suite's
 * pixel-based agents (DrQ, TD-MPC) get: its position and orientation are the engine's
 * `cam_xpos` / `cam_xmat` (tracking cameras follow as MuJoCo moves them), its field of view the
 * model's `cam_fovy`.
 */
import type { Env } from "../../core/env.ts";
import type { EnvView, EnvViewFactory } from "../../core/env_view.ts";
import { DmcEnv } from "../../envs/dmc/dmc_env.ts";
import { type AimCamera, MujocoScene, setPose } from "../mujoco_scene.ts";

/** The model's camera `index`: MuJoCo's and three.js's cameras both look along their -z. */
function modelCamera(index: number): AimCamera {
  return (camera, { model, data }) => {
    if (index >= model.ncam) throw new Error(`dmcView: the model has no camera ${index}`);
    const fovy = (model.cam_fovy as Float64Array)[index];
    if (camera.fov !== fovy) {
      camera.fov = fovy;
      camera.updateProjectionMatrix();
    }
    const xpos = data.cam_xpos as Float64Array;
    camera.matrixAutoUpdate = false;
    setPose(camera.matrix, xpos, data.cam_xmat as Float64Array, index);
    camera.updateMatrixWorld(true);
    return [xpos[3 * index], xpos[3 * index + 1]];
  };
}

/** The view factory of every DMC task. */
export const dmcView: EnvViewFactory = (env: Env, canvas: unknown): EnvView => {
  if (!(env instanceof DmcEnv)) throw new Error(`dmcView: '${env.id}' is not a DMC task`);
  return new MujocoScene(env, canvas as HTMLCanvasElement, modelCamera(0));
};

/// <reference lib="dom" />
/**
 * How the Gymnasium MuJoCo tasks are drawn in the viewer page: the shared three.js scene of the
 * model (plugins/mujoco_scene.ts) seen by a camera that follows the torso from the side
 * (Gymnasium's default tracking camera).
 */
import type { Env } from "../../core/env.ts";
import type { EnvView, EnvViewFactory } from "../../core/env_view.ts";
import { MujocoEnv } from "../../envs/mujoco/mujoco_env.ts";
import { type AimCamera, MujocoScene } from "../mujoco_scene.ts";

/** Where the camera sits relative to the tracked body. */
export interface MujocoCamera {
  /** Distance from the tracked point. */
  distance: number;
  /** Degrees below the horizon the camera looks (Gymnasium's `elevation: -20` is 20). */
  elevation: number;
  /** Height of the point looked at (the tracked body's x and y are followed). */
  lookHeight: number;
}

/** Camera per task; tasks not listed get one from the model's extent. */
const CAMERAS: Record<string, MujocoCamera> = {
  "Hopper-v4": { distance: 3, elevation: 15, lookHeight: 1.0 },
  "Walker2d-v4": { distance: 4, elevation: 15, lookHeight: 1.0 },
  "HalfCheetah-v4": { distance: 4, elevation: 15, lookHeight: 0.5 },
  "Humanoid-v4": { distance: 4, elevation: 15, lookHeight: 1.0 },
  "Ant-v4": { distance: 5, elevation: 30, lookHeight: 0.3 },
  "InvertedPendulum-v4": { distance: 2.5, elevation: 10, lookHeight: 0.3 },
};

/** Follows the root body (body 1: the torso) along x and y, from the side (-y). */
function trackingCamera(spec: MujocoCamera): AimCamera {
  const el = (spec.elevation * Math.PI) / 180;
  return (camera, { data }) => {
    const xbody = data.xpos as Float64Array;
    const [tx, ty] = [xbody[3], xbody[4]];
    camera.position.set(
      tx,
      ty - spec.distance * Math.cos(el),
      spec.lookHeight + spec.distance * Math.sin(el),
    );
    camera.lookAt(tx, ty, spec.lookHeight);
    return [tx, ty];
  };
}

/** The view factory of every Gymnasium MuJoCo task. */
export const mujocoView: EnvViewFactory = (env: Env, canvas: unknown): EnvView => {
  if (!(env instanceof MujocoEnv)) {
    throw new Error(`mujocoView: '${env.id}' is not a MuJoCo env`);
  }
  const extent = env.physics().model.stat?.extent ?? 2;
  const spec = CAMERAS[env.id] ?? { distance: 2 * extent, elevation: 20, lookHeight: 0.5 * extent };
  return new MujocoScene(env, canvas as HTMLCanvasElement, trackingCamera(spec));
};

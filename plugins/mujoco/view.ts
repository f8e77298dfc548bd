/// <reference lib="dom" />
/**
 * How the MuJoCo tasks are drawn in the viewer page: a three.js scene built from the model's
 * geoms (type, size, colour), whose positions and orientations are read from the engine's
 * `geom_xpos` / `geom_xmat` every frame; a checkered floor, a sun and a fill light, and a
 * camera that follows the torso from the side (Gymnasium's default tracking camera).
 */
// @ts-types="npm:@types/three@0.187.0"
import * as THREE from "three";
import type { Env } from "../../core/env.ts";
import type { EnvView, EnvViewFactory } from "../../core/env_view.ts";
import { MujocoEnv } from "../../envs/mujoco/mujoco_env.ts";

/** MuJoCo's `mjtGeom` codes for the shapes drawn here. */
const GEOM = { plane: 0, sphere: 2, capsule: 3, ellipsoid: 4, cylinder: 5, box: 6 } as const;

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

function checkerTexture(): THREE.Texture {
  const size = 64;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#3b4a5a";
  ctx.fillRect(0, 0, size, size);
  ctx.fillStyle = "#56687a";
  ctx.fillRect(0, 0, size / 2, size / 2);
  ctx.fillRect(size / 2, size / 2, size / 2, size / 2);
  const texture = new THREE.CanvasTexture(canvas);
  texture.wrapS = texture.wrapT = THREE.RepeatWrapping;
  texture.magFilter = THREE.NearestFilter;
  return texture;
}

/** A three.js geometry for geom `g`, in the geom's own frame (MuJoCo's axes: z along capsules). */
function geometryFor(type: number, size: ArrayLike<number>): THREE.BufferGeometry | null {
  const [a, b, c] = [size[0], size[1], size[2]];
  switch (type) {
    case GEOM.sphere:
      return new THREE.SphereGeometry(a, 24, 16);
    case GEOM.ellipsoid:
      return new THREE.SphereGeometry(1, 24, 16).scale(a, b, c);
    case GEOM.capsule:
      // three's capsule runs along y; MuJoCo's along z. size = (radius, half-length).
      return new THREE.CapsuleGeometry(a, 2 * b, 8, 16).rotateX(Math.PI / 2);
    case GEOM.cylinder:
      return new THREE.CylinderGeometry(a, a, 2 * b, 24).rotateX(Math.PI / 2);
    case GEOM.box:
      return new THREE.BoxGeometry(2 * a, 2 * b, 2 * c);
    default:
      return null; // heightfields and meshes: none in the built-in tasks
  }
}

class MujocoView implements EnvView {
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera: THREE.PerspectiveCamera;
  private readonly meshes: { index: number; mesh: THREE.Mesh }[] = [];
  private readonly sun: THREE.DirectionalLight;
  private readonly cameraSpec: MujocoCamera;
  private readonly matrix = new THREE.Matrix4();

  constructor(private readonly env: MujocoEnv, canvas: HTMLCanvasElement) {
    // preserveDrawingBuffer: screenshots and video frames read the canvas after drawing.
    this.renderer = new THREE.WebGLRenderer({
      canvas,
      antialias: true,
      preserveDrawingBuffer: true,
    });
    this.renderer.setPixelRatio(1);
    this.renderer.shadowMap.enabled = true;
    this.scene.background = new THREE.Color(0xbfd4e6);
    const { model } = env.physics();
    const extent = model.stat?.extent ?? 2;
    this.cameraSpec = CAMERAS[env.id] ??
      { distance: 2 * extent, elevation: 20, lookHeight: 0.5 * extent };
    this.camera = new THREE.PerspectiveCamera(45, 4 / 3, 0.05, 200);
    this.camera.up.set(0, 0, 1); // MuJoCo is z-up

    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x445566, 1.4));
    this.sun = new THREE.DirectionalLight(0xffffff, 2.2);
    this.sun.castShadow = true;
    this.sun.shadow.mapSize.set(1024, 1024);
    const s = this.sun.shadow.camera;
    s.left = s.bottom = -4;
    s.right = s.top = 4;
    this.scene.add(this.sun, this.sun.target);

    const types = model.geom_type as Int32Array;
    const sizes = model.geom_size as Float64Array;
    const rgba = model.geom_rgba as Float32Array;
    for (let g = 0; g < model.ngeom; g++) {
      const color = new THREE.Color(rgba[4 * g], rgba[4 * g + 1], rgba[4 * g + 2]);
      if (types[g] === GEOM.plane) {
        const half = sizes[3 * g] > 0 ? sizes[3 * g] : 50;
        const texture = checkerTexture();
        texture.repeat.set(half, half);
        const floor = new THREE.Mesh(
          new THREE.PlaneGeometry(2 * half, 2 * half),
          new THREE.MeshStandardMaterial({ map: texture, roughness: 0.9 }),
        );
        floor.receiveShadow = true;
        floor.matrixAutoUpdate = false;
        this.scene.add(floor);
        this.meshes.push({ index: g, mesh: floor });
        continue;
      }
      const geometry = geometryFor(types[g], sizes.subarray(3 * g, 3 * g + 3));
      if (!geometry || rgba[4 * g + 3] === 0) continue;
      const mesh = new THREE.Mesh(
        geometry,
        new THREE.MeshStandardMaterial({ color, roughness: 0.55, metalness: 0.1 }),
      );
      mesh.castShadow = true;
      mesh.matrixAutoUpdate = false;
      this.scene.add(mesh);
      this.meshes.push({ index: g, mesh });
    }
    this.resize(canvas.clientWidth || canvas.width, canvas.clientHeight || canvas.height);
  }

  resize(width: number, height: number): void {
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
  }

  draw(): void {
    const { data } = this.env.physics();
    // Views into the engine's memory: read afresh each frame (memory growth detaches them).
    const xpos = data.geom_xpos as Float64Array;
    const xmat = data.geom_xmat as Float64Array;
    for (const { index: g, mesh } of this.meshes) {
      const p = 3 * g;
      const m = 9 * g;
      // geom_xmat is row-major 3x3, as Matrix4.set takes its arguments.
      this.matrix.set(
        xmat[m],
        xmat[m + 1],
        xmat[m + 2],
        xpos[p],
        xmat[m + 3],
        xmat[m + 4],
        xmat[m + 5],
        xpos[p + 1],
        xmat[m + 6],
        xmat[m + 7],
        xmat[m + 8],
        xpos[p + 2],
        0,
        0,
        0,
        1,
      ); // deno-fmt-ignore
      mesh.matrix.copy(this.matrix);
      mesh.matrixWorldNeedsUpdate = true;
    }
    // Follow the root body (body 1: the torso) along x and y, from the side (-y), like
    // Gymnasium's tracking camera.
    const xbody = data.xpos as Float64Array;
    const [tx, ty] = [xbody[3], xbody[4]];
    const { distance, elevation, lookHeight } = this.cameraSpec;
    const el = (elevation * Math.PI) / 180;
    this.camera.position.set(
      tx,
      ty - distance * Math.cos(el),
      lookHeight + distance * Math.sin(el),
    );
    this.camera.lookAt(tx, ty, lookHeight);
    this.sun.position.set(tx + 2, ty - 3, 6);
    this.sun.target.position.set(tx, ty, 0);
    this.renderer.render(this.scene, this.camera);
  }

  dispose(): void {
    for (const { mesh } of this.meshes) {
      mesh.geometry.dispose();
      (mesh.material as THREE.Material).dispose();
    }
    this.renderer.dispose();
  }
}

/** The view factory of every MuJoCo task. */
export const mujocoView: EnvViewFactory = (env: Env, canvas: unknown): EnvView => {
  if (!(env instanceof MujocoEnv)) {
    throw new Error(`mujocoView: '${env.id}' is not a MuJoCo env`);
  }
  return new MujocoView(env, canvas as HTMLCanvasElement);
};

/// <reference lib="dom" />
/**
 * A three.js drawing of a MuJoCo model, shared by the MuJoCo-based env adapters (`mujoco`,
 * `dmc`): like `builtin.ts` it sits beside the plugins and is none itself. It builds a mesh per
 * geom (type, size, colour: the geom's rgba, or its material's where the geom keeps MuJoCo's
 * default rgba, as MuJoCo's own renderer does), reads every geom's pose from the engine's
 * `geom_xpos` / `geom_xmat` each frame, and draws a checkered floor for planes, a sky, a
 * hemisphere light and a sun that casts shadows. Where the camera goes is the adapter's choice
 * (an {@link AimCamera}).
 */
// @ts-types="npm:@types/three@0.187.0"
import * as THREE from "three";
import type { EnvView } from "../core/env_view.ts";
import type { MujocoEnv } from "../envs/mujoco/mujoco_env.ts";

/** MuJoCo's `mjtGeom` codes for the shapes drawn here. */
const GEOM = { plane: 0, sphere: 2, capsule: 3, ellipsoid: 4, cylinder: 5, box: 6 } as const;

/** MuJoCo's default geom rgba: a geom with a material and this rgba takes the material's. */
const DEFAULT_RGBA = [0.5, 0.5, 0.5, 1];

/** The engine's model and data, as `MujocoEnv.physics()` returns them. */
export type Physics = ReturnType<MujocoEnv["physics"]>;

/**
 * Places `camera` for the current frame (position, orientation, field of view) and returns
 * the point on the ground the sun should follow.
 */
export type AimCamera = (camera: THREE.PerspectiveCamera, physics: Physics) => [number, number];

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

/** A three.js geometry for a geom, in the geom's own frame (MuJoCo's axes: z along capsules). */
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

/** The rgba MuJoCo draws geom `g` with. */
function geomRgba(model: Physics["model"], g: number): number[] {
  const rgba = Array.from((model.geom_rgba as Float32Array).subarray(4 * g, 4 * g + 4));
  const material = (model.geom_matid as Int32Array)[g];
  if (material < 0 || rgba.some((v, i) => Math.abs(v - DEFAULT_RGBA[i]) > 1e-6)) return rgba;
  return Array.from((model.mat_rgba as Float32Array).subarray(4 * material, 4 * material + 4));
}

/** The scene of one env's model on one canvas; see the module comment. */
export class MujocoScene implements EnvView {
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera: THREE.PerspectiveCamera;
  private readonly meshes: { index: number; mesh: THREE.Mesh }[] = [];
  private readonly sun: THREE.DirectionalLight;
  private readonly matrix = new THREE.Matrix4();

  /** Builds the meshes of `env`'s model; `aim` places the camera each frame. */
  constructor(
    private readonly env: MujocoEnv,
    canvas: HTMLCanvasElement,
    private readonly aim: AimCamera,
  ) {
    // preserveDrawingBuffer: screenshots and video frames read the canvas after drawing.
    this.renderer = new THREE.WebGLRenderer({
      canvas,
      antialias: true,
      preserveDrawingBuffer: true,
    });
    this.renderer.setPixelRatio(1);
    this.renderer.shadowMap.enabled = true;
    this.scene.background = new THREE.Color(0xbfd4e6);
    this.camera = new THREE.PerspectiveCamera(45, 4 / 3, 0.02, 200);
    this.camera.up.set(0, 0, 1); // MuJoCo is z-up

    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x445566, 1.4));
    this.sun = new THREE.DirectionalLight(0xffffff, 2.2);
    this.sun.castShadow = true;
    this.sun.shadow.mapSize.set(1024, 1024);
    const s = this.sun.shadow.camera;
    s.left = s.bottom = -4;
    s.right = s.top = 4;
    this.scene.add(this.sun, this.sun.target);

    const { model } = env.physics();
    const types = model.geom_type as Int32Array;
    const sizes = model.geom_size as Float64Array;
    for (let g = 0; g < model.ngeom; g++) {
      const [r, gr, b, alpha] = geomRgba(model, g);
      if (alpha === 0) continue;
      if (types[g] === GEOM.plane) {
        // size 0 means infinite in MuJoCo; 50 m is beyond any camera here
        const [hx, hy] = [sizes[3 * g] || 50, sizes[3 * g + 1] || 50];
        const texture = checkerTexture();
        texture.repeat.set(hx, hy);
        const floor = new THREE.Mesh(
          new THREE.PlaneGeometry(2 * hx, 2 * hy),
          new THREE.MeshStandardMaterial({ map: texture, roughness: 0.9 }),
        );
        floor.receiveShadow = true;
        floor.matrixAutoUpdate = false;
        this.scene.add(floor);
        this.meshes.push({ index: g, mesh: floor });
        continue;
      }
      const geometry = geometryFor(types[g], sizes.subarray(3 * g, 3 * g + 3));
      if (!geometry) continue;
      const mesh = new THREE.Mesh(
        geometry,
        new THREE.MeshStandardMaterial({
          color: new THREE.Color(r, gr, b),
          roughness: 0.55,
          metalness: 0.1,
          transparent: alpha < 1,
          opacity: alpha,
        }),
      );
      mesh.castShadow = alpha === 1;
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
    const physics = this.env.physics();
    const { data } = physics;
    // Views into the engine's memory: read afresh each frame (memory growth detaches them).
    const xpos = data.geom_xpos as Float64Array;
    const xmat = data.geom_xmat as Float64Array;
    for (const { index: g, mesh } of this.meshes) {
      setPose(this.matrix, xpos, xmat, g);
      mesh.matrix.copy(this.matrix);
      mesh.matrixWorldNeedsUpdate = true;
    }
    const [fx, fy] = this.aim(this.camera, physics);
    this.sun.position.set(fx + 2, fy - 3, 6);
    this.sun.target.position.set(fx, fy, 0);
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

/** `out` = the rigid transform of frame `i` given row-major 3x3 `xmat` and `xpos` arrays. */
export function setPose(
  out: THREE.Matrix4,
  xpos: Float64Array,
  xmat: Float64Array,
  i: number,
): THREE.Matrix4 {
  const p = 3 * i;
  const m = 9 * i;
  // row-major 3x3, as Matrix4.set takes its arguments
  // deno-fmt-ignore
  return out.set(
    xmat[m], xmat[m + 1], xmat[m + 2], xpos[p],
    xmat[m + 3], xmat[m + 4], xmat[m + 5], xpos[p + 1],
    xmat[m + 6], xmat[m + 7], xmat[m + 8], xpos[p + 2],
    0, 0, 0, 1,
  );
}

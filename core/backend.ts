/**
 * TensorFlow.js backend selection. A backend the user names is either used or refused with one
 * line saying why and how to get it; there is no silent fallback.
 */
import { tf } from "./tf.ts";
import { ConfigError } from "./schema.ts";

/** Backends `--backend` accepts. */
export const BACKENDS = ["wasm", "cpu", "tensorflow", "webgpu"] as const;
/** One of {@link BACKENDS}. */
export type BackendName = typeof BACKENDS[number];

/** Raised when a named backend cannot be loaded on this machine. */
export class BackendUnavailableError extends ConfigError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "BackendUnavailableError";
  }
}

// The native TensorFlow bindings: the GPU build first, then the CPU one.
const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

function installedNativePackage(): string | null {
  for (const name of NATIVE_PACKAGES) {
    try {
      Deno.statSync(`${Deno.cwd()}/node_modules/${name}/package.json`);
      return name;
    } catch {
      // not installed here
    }
  }
  return null;
}

/**
 * Activates `name` as the TensorFlow.js backend and returns the backend actually running.
 * Throws {@link BackendUnavailableError} when it cannot be loaded.
 */
export async function useBackend(name: BackendName): Promise<string> {
  if (!BACKENDS.includes(name)) {
    throw new ConfigError(`backend: unknown '${name}'; allowed: ${BACKENDS.join(", ")}`);
  }
  if (tf.getBackend() === name || (name === "tensorflow" && tf.getBackend() === "tensorflow")) {
    return tf.getBackend();
  }
  switch (name) {
    case "wasm":
      await import("@tensorflow/tfjs-backend-wasm");
      break;
    case "cpu":
      break; // bundled with @tensorflow/tfjs
    case "webgpu": {
      const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } })
        ?.gpu;
      const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
      if (!adapter) {
        throw new BackendUnavailableError(
          "backend 'webgpu': no WebGPU adapter on this machine; use --backend wasm",
        );
      }
      await import("@tensorflow/tfjs-backend-webgpu");
      break;
    }
    case "tensorflow": {
      const pkg = installedNativePackage();
      if (!pkg) {
        throw new BackendUnavailableError(
          "backend 'tensorflow': neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is " +
            "installed; install one with `deno install --allow-scripts npm:@tensorflow/tfjs-node-gpu@4.22.0` " +
            "(CUDA) or `npm:@tensorflow/tfjs-node@4.22.0` (CPU), or use --backend wasm",
        );
      }
      try {
        await import(`npm:${pkg}@4.22.0`);
      } catch (e) {
        throw new BackendUnavailableError(
          `backend 'tensorflow': ${pkg} is installed but failed to load (${
            (e as Error).message.split("\n")[0]
          }); reinstall it or use --backend wasm`,
        );
      }
      break;
    }
  }
  const previous = tf.getBackend();
  const ok = await tf.setBackend(name);
  if (!ok) {
    throw new BackendUnavailableError(`backend '${name}': TensorFlow.js could not initialise it`);
  }
  await tf.ready();
  try {
    probeBackend(name);
  } catch (e) {
    if (previous) await tf.setBackend(previous); // a refused backend leaves the last one active
    throw e;
  }
  return tf.getBackend();
}

/**
 * Training reads tensors back synchronously (actions, losses) every step. Some backends
 * initialise but cannot do that outside a browser (tfjs's WebGPU backend needs a canvas for
 * it), so a tiny round trip is checked here, before any run folder is written.
 */
function probeBackend(name: BackendName): void {
  let values: Float32Array | null = null;
  let why = "";
  try {
    // big enough that no backend forwards it to the CPU
    values = tf.tidy(() => {
      const ones = tf.ones([64, 64]);
      return tf.add(tf.matMul(ones, ones), 1).dataSync() as Float32Array;
    });
  } catch (e) {
    why = (e as Error).message.split("\n")[0];
  }
  if (!values || values[0] !== 65 || values[4095] !== 65) {
    throw new BackendUnavailableError(
      `backend '${name}': it initialised but cannot read tensors back synchronously, which ` +
        `training needs (${why || "wrong values"}); use --backend wasm`,
    );
  }
}

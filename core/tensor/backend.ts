/**
 * TensorFlow.js backend selection. A backend the user names is either used or refused with one
 * line saying why and how to get it; there is no silent fallback. `auto` is the one name that
 * chooses: the fastest backend this machine has.
 */
import { tf } from "./tf.ts";
import { ConfigError } from "../schema.ts";
import { type BackendName, BACKENDS } from "../config.ts";
import {
  blasInstallHint,
  disableNativeMatMul,
  enableNativeMatMul,
  nativeMatMulEnabled,
} from "./blas.ts";
import { registerWasmKernels } from "./wasm_kernels.ts";

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
 * Activates `name` as the TensorFlow.js backend and returns the backend actually running, by
 * its `--backend` name: `wasm-blas` for the wasm backend with the native matrix multiply, and
 * for `auto` the one it chose. Throws {@link BackendUnavailableError} when it cannot be loaded.
 */
export async function useBackend(name: BackendName): Promise<string> {
  if (!BACKENDS.includes(name)) {
    throw new ConfigError(`backend: unknown '${name}'; allowed: ${BACKENDS.join(", ")}`);
  }
  if (name === "auto") return await useAuto();
  if (name === "wasm-blas") return await useWasmBlas();
  const active = await activate(name);
  // every other name means its own kernels: the wasm backend without the native matMul
  disableNativeMatMul();
  return active;
}

/** `tensorflow` when tfjs-node loads, else `wasm-blas` when a BLAS loads, else `wasm`. */
async function useAuto(): Promise<string> {
  if (installedNativePackage()) {
    try {
      return await useBackend("tensorflow");
    } catch {
      // installed but broken: the next best
    }
  }
  try {
    return await useWasmBlas();
  } catch {
    return await useBackend("wasm");
  }
}

async function useWasmBlas(): Promise<string> {
  // the kernel is swapped before the backend switches, so a refusal leaves the current one
  await loadWasmBackend();
  const status = enableNativeMatMul();
  if (!status.enabled) {
    throw new BackendUnavailableError(
      `backend 'wasm-blas': ${status.reason}; ${blasInstallHint()}, or use --backend wasm`,
    );
  }
  try {
    await activate("wasm");
    probeBackend("wasm-blas");
  } catch (e) {
    disableNativeMatMul();
    throw e;
  }
  return "wasm-blas";
}

/** Whether the running backend is the wasm one with the native matMul of core/blas.ts. */
export function usingWasmBlas(): boolean {
  return tf.getBackend() === "wasm" && nativeMatMulEnabled();
}

/** Imports the wasm backend and puts core/wasm_kernels.ts's SIMD kernels in place. */
async function loadWasmBackend(): Promise<void> {
  await import("@tensorflow/tfjs-backend-wasm");
  registerWasmKernels();
}

type TfBackend = Exclude<BackendName, "wasm-blas" | "auto">;

async function activate(name: TfBackend): Promise<string> {
  if (tf.getBackend() === name) return tf.getBackend();
  switch (name) {
    case "wasm":
      await loadWasmBackend();
      break;
    case "cpu":
      break; // bundled with @tensorflow/tfjs
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

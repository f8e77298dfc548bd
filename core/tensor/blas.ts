/**
 * An optional native matrix multiply for the wasm backend: TensorFlow.js's `BatchMatMul` kernel
 * is replaced by OpenBLAS's `cblas_sgemm`, called through `Deno.dlopen` on the wasm backend's own
 * heap (no copies: the operands and the output are views of the WebAssembly memory).
 *
 * Nothing needs it: when no BLAS library loads, {@link enableNativeMatMul} says why and the wasm
 * kernel stays in place. The library is looked up as `DMERL_BLAS` says (a path, or `off`), else
 * under OpenBLAS's usual names. OpenBLAS is pinned to one thread unless `DMERL_BLAS_THREADS`
 * (or the `threads` option) asks for more.
 */
import { tf } from "./tf.ts";
import { offsetOf, type WasmBackendInternals } from "./wasm_kernels.ts";

/** What {@link enableNativeMatMul} did. */
export interface NativeMatMulStatus {
  /** True when `BatchMatMul` on the wasm backend now runs through the native library. */
  enabled: boolean;
  /** The library that was loaded (as it was opened). */
  library?: string;
  /** Why it is not enabled. */
  reason?: string;
}

/** Options of {@link enableNativeMatMul}. */
export interface NativeMatMulOptions {
  /** BLAS threads (OpenBLAS only); default `DMERL_BLAS_THREADS`, else 1. */
  threads?: number;
}

// CBLAS enums
const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

const SYMBOLS = {
  cblas_sgemm: {
    // order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
} as const;

type BlasLibrary = Deno.DynamicLibrary<typeof SYMBOLS>;

/** The names tried, in order, when `DMERL_BLAS` does not name a library. */
export function blasCandidates(): string[] {
  if (Deno.build.os === "darwin") {
    return [
      "libopenblas.dylib",
      "libopenblas.0.dylib",
      "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
      "/usr/local/opt/openblas/lib/libopenblas.dylib",
    ];
  }
  if (Deno.build.os === "windows") return ["libopenblas.dll", "openblas.dll"];
  const multiarch = `/usr/lib/${Deno.build.arch}-linux-gnu`;
  return [
    "libopenblas.so.0",
    "libopenblas.so",
    `${multiarch}/libopenblas.so.0`,
    `${multiarch}/openblas-pthread/libopenblas.so.0`,
    `${multiarch}/openblas-openmp/libopenblas.so.0`,
    `${multiarch}/openblas-serial/libopenblas.so.0`,
  ];
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: as if unset
  }
}

// opened libraries by the name they were opened with (dlopen keeps them for the process)
const opened = new Map<string, BlasLibrary>();

/**
 * Opens the BLAS library `DMERL_BLAS` names (read on every call: `off` refuses even after a
 * library was opened), else the first of {@link blasCandidates} that opens; returns it, or why
 * none could be opened.
 */
function loadBlas(): { lib: BlasLibrary; path: string } | { reason: string } {
  const setting = readEnv("DMERL_BLAS")?.trim();
  if (setting === "off" || setting === "0" || setting === "false") {
    return { reason: "disabled by DMERL_BLAS=off" };
  }
  const candidates = setting ? [setting] : blasCandidates();
  const failures: string[] = [];
  for (const path of candidates) {
    const known = opened.get(path);
    if (known) return { lib: known, path };
    try {
      const lib = Deno.dlopen(path, SYMBOLS);
      opened.set(path, lib);
      return { lib, path };
    } catch (e) {
      const message = (e as Error).message.split("\n")[0];
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        return { reason: `loading a native library needs --allow-ffi (${message})` };
      }
      failures.push(`${path}: ${message}`);
    }
  }
  return {
    reason: setting
      ? `DMERL_BLAS=${setting} could not be loaded with cblas_sgemm (${failures[0]})`
      : `no OpenBLAS found (tried ${candidates.join(", ")})`,
  };
}

/** The library names tried and the install hint, for error messages. */
export function blasInstallHint(): string {
  return "install OpenBLAS (Debian/Ubuntu: `apt-get install libopenblas0-pthread`, macOS: " +
    "`brew install openblas`) or point DMERL_BLAS at a library exporting cblas_sgemm";
}

interface BatchMatMulArgs {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: WasmBackendInternals;
  attrs: { transposeA: boolean; transposeB: boolean };
}

let original: tf.KernelConfig | null = null;
let sgemm: BlasLibrary["symbols"]["cblas_sgemm"] | null = null;

/**
 * `BatchMatMul` through `cblas_sgemm`. Operands of rank >= 2 with equal batch sizes, or a batch
 * of one broadcast against the other, float32 only; anything else goes to the wasm kernel.
 */
function nativeBatchMatMul(args: BatchMatMulArgs): tf.TensorInfo {
  const { inputs: { a, b }, backend, attrs: { transposeA, transposeB } } = args;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const fallback = () =>
    (original!.kernelFunc as unknown as (args: BatchMatMulArgs) => tf.TensorInfo)(args);
  if (a.dtype !== "float32" || b.dtype !== "float32" || ra < 2 || rb < 2) return fallback();
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  // mismatched inner sizes or broadcasts other than a batch of one: the wasm kernel's checks
  if (k !== kb || m === 0 || n === 0 || k === 0) return fallback();
  let outer: number[];
  if (batchA === batchB && outerA.join() === outerB.join()) outer = outerA;
  else if (batchB === 1 && outerB.every((d) => d === 1) && outerB.length <= outerA.length) {
    outer = outerA;
  } else if (batchA === 1 && outerA.every((d) => d === 1) && outerA.length <= outerB.length) {
    outer = outerB;
  } else return fallback();
  const batch = Math.max(batchA, batchB);
  const out = backend.makeOutput([...outer, m, n], "float32");
  // read the heap after the output's allocation: a grown memory detaches older views
  const heap = backend.wasm.HEAPU8.buffer;
  const aOffset = offsetOf(backend, a);
  const bOffset = offsetOf(backend, b);
  const outOffset = offsetOf(backend, out);
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  const ta = transposeA ? TRANS : NO_TRANS;
  const tb = transposeB ? TRANS : NO_TRANS;
  const aStep = batchA === 1 ? 0 : m * k * 4;
  const bStep = batchB === 1 ? 0 : k * n * 4;
  for (let i = 0; i < batch; i++) {
    sgemm!(
      ROW_MAJOR,
      ta,
      tb,
      m,
      n,
      k,
      1,
      new Float32Array(heap, aOffset + i * aStep, m * k),
      lda,
      new Float32Array(heap, bOffset + i * bStep, k * n),
      ldb,
      0,
      new Float32Array(heap, outOffset + i * m * n * 4, m * n),
      n,
    );
  }
  return out;
}

/**
 * Replaces the wasm backend's `BatchMatMul` kernel with OpenBLAS's `cblas_sgemm` (the kernel
 * every `tf.matMul` and its gradients dispatch; `_FusedMatMul` is left alone, as nothing here
 * calls `tf.fused`). Idempotent. Returns whether it is on, the library, or why not; the wasm
 * kernel stays in place when it is not.
 */
export function enableNativeMatMul(options: NativeMatMulOptions = {}): NativeMatMulStatus {
  const blas = loadBlas();
  if ("reason" in blas) return { enabled: false, reason: blas.reason };
  const threadSetting = readEnv("DMERL_BLAS_THREADS");
  const threads = options.threads ?? (threadSetting ? Number(threadSetting) : 1);
  if (!Number.isInteger(threads) || threads < 1) {
    const reason = `BLAS threads (DMERL_BLAS_THREADS): expected an integer >= 1, got '${threads}'`;
    return { enabled: original !== null, library: blas.path, reason };
  }
  blas.lib.symbols.openblas_set_num_threads?.(threads);
  if (original) {
    sgemm = blas.lib.symbols.cblas_sgemm;
    return { enabled: true, library: blas.path };
  }
  const current = tf.getKernel("BatchMatMul", "wasm");
  if (!current) {
    return {
      enabled: false,
      library: blas.path,
      reason: "the wasm backend is not loaded (import @tensorflow/tfjs-backend-wasm first)",
    };
  }
  original = current;
  sgemm = blas.lib.symbols.cblas_sgemm;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: "wasm",
    // the wasm kernel's setup still runs: it is the fallback for what sgemm does not take
    setupFunc: current.setupFunc,
    disposeFunc: current.disposeFunc,
    kernelFunc: nativeBatchMatMul as unknown as tf.KernelFunc,
  });
  return { enabled: true, library: blas.path };
}

/** Restores the wasm backend's own `BatchMatMul` kernel (no-op when it is in place). */
export function disableNativeMatMul(): void {
  if (!original) return;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel(original);
  original = null;
  sgemm = null;
}

/** Whether {@link enableNativeMatMul} is in effect. */
export function nativeMatMulEnabled(): boolean {
  return original !== null;
}

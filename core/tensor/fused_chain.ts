/**
 * Fused passes of the diffusion policy's denoising chain on the TensorFlow.js wasm backend:
 * - {@link langevinStep}: one Euler-Maruyama step of the controlled Langevin chain with both
 *   log densities, and {@link langevinDensities}, the densities of a given transition: one SIMD
 *   pass forward and one backward in place of some thirty kernels each way;
 * - {@link silu}: the score network's activation, its backward pass in one;
 * - {@link rowBlocks}, {@link unstackSlots}, {@link broadcastRows}, {@link addSameShape}: the
 *   chain's weight split, noise slots, per-step eta rows and first-layer sum without the
 *   backend's whole-tensor copies, products by ones and tape copies.
 * Each kernel is assembled with core/tensor/wasm_kernels.ts's encoder and works on the backend's
 * memory; the ops run through core/tensor/custom_op.ts (no copies of saved tensors).
 *
 * Every pass does the tensor form's float32 operations in the same order, forward and backward
 * (the backward passes follow tfjs's gradient functions and the order in which its tape
 * accumulates them), so fused and tensor form give identical bits. The tensor form runs wherever
 * the kernels are not available (the `cpu` backend, an engine without WebAssembly SIMD) and when
 * {@link setFusedChain} turns them off.
 */
import { tf } from "./tf.ts";
import { nativeMatMulEnabled } from "./blas.ts";
import { customOp, tapeIsOn } from "./custom_op.ts";
import {
  type Body,
  elementwiseFunction,
  type Lanes,
  localGet,
  localSet,
  moduleBytes,
  offsetOf,
  simd,
  type WasmBackendInternals,
} from "./wasm_kernels.ts";

/** One step of the chain: a^{k-1}, log q(a^{k-1} | a^k) and l_k per sample. */
export interface LangevinStep {
  /** `[batch, actDim]`. */
  next: tf.Tensor2D;
  /** `[batch]`. */
  logQ: tf.Tensor1D;
  /** `log q(a^{k-1} | a^k) - log pi(a^k | a^{k-1})`: `[batch]`. */
  logRatio: tf.Tensor1D;
}

const LOG_4PI = Math.log(4 * Math.PI);

/** Diagonal Gaussian log density summed over dims (axis 1), variance `2 eta`: the tensor form. */
export function langevinLogDensity(x: tf.Tensor, mean: tf.Tensor, eta: tf.Tensor): tf.Tensor1D {
  const sq = tf.div(tf.square(tf.sub(x, mean)), tf.mul(4, eta));
  return tf.neg(tf.sum(tf.add(sq, tf.mul(0.5, tf.add(tf.log(eta), LOG_4PI))), 1)) as tf.Tensor1D;
}

/** Mean of the noising kernel pi(a^k | a^{k-1}): `prev - eta prev / sigma0^2` (tensor form). */
export function noisingMean(prev: tf.Tensor, eta: tf.Tensor, sigma0: number): tf.Tensor {
  return tf.sub(prev, tf.mul(eta, tf.div(prev, sigma0 * sigma0)));
}

/**
 * The tensor form of {@link langevinStep}: `mean = a + eta (-a / sigma0^2 + f)`, `next = mean +
 * sqrt(2 eta) noise`, `logQ = log N(next; mean, 2 eta)`, `logRatio = logQ - log N(a; next - eta
 * next / sigma0^2, 2 eta)`.
 */
export function langevinStepTensor(
  a: tf.Tensor2D,
  f: tf.Tensor2D,
  eta: tf.Tensor2D,
  noise: tf.Tensor2D,
  sigma0: number,
): LangevinStep {
  const drift = tf.add(tf.mul(a, -1 / (sigma0 * sigma0)), f);
  const mean = tf.add(a, tf.mul(eta, drift));
  const next = tf.add(mean, tf.mul(tf.sqrt(tf.mul(2, eta)), noise)) as tf.Tensor2D;
  const logQ = langevinLogDensity(next, mean, eta);
  const logPi = langevinLogDensity(a, noisingMean(next, eta, sigma0), eta);
  return { next, logQ, logRatio: tf.sub(logQ, logPi) as tf.Tensor1D };
}

/** `x * sigmoid(x)`: the tensor form of {@link silu}. */
export function siluTensor(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

// --- the kernels ---

type Code = number[];

/** Expression helpers over one lane width for a kernel body. */
function ops(l: Lanes, use: Parameters<Body>[1]) {
  const bin = (op: Code) => (x: Code, y: Code): Code => [...x, ...y, ...op];
  return {
    load: (p: number): Code => [...use.at(p), ...l.load],
    param: (k: number): Code => use.constant(k),
    lit: (x: number): Code => l.constant(x),
    get: (t: number): Code => localGet(use.tmp(t)),
    set: (t: number, v: Code): Code => [...v, ...localSet(use.tmp(t))],
    store: (p: number, v: Code): Code => [...use.at(p), ...v, ...l.store],
    add: bin(l.add),
    sub: bin(l.sub),
    mul: bin(l.mul),
    div: bin(l.div),
    sqrt: (x: Code): Code => [...x, ...l.sqrt],
    neg: (x: Code): Code => [...x, ...(l.bytes === 16 ? simd(0xe1) : [0x8c])], // f32x4.neg, f32.neg
  };
}

// step(a, f, eta, noise, logEta, next, q, p, n, -1/sigma0^2, sigma0^2, log(4 pi)): per element
// the tensor form's ops up to its two sums: next, and the summands q of -logQ and p of -logPi
const STEP = elementwiseFunction(8, 3, 7, (l, use) => {
  const o = ops(l, use);
  const { load, param, lit, get, set, store, add, mul, sqrt } = o;
  const [A, F, ETA, NOISE, LOG_ETA, NEXT, Q, P] = [0, 1, 2, 3, 4, 5, 6, 7];
  const INV_VAR = 0;
  const [a, eta, mean, next, eta4, logTerm, d] = [0, 1, 2, 3, 4, 5, 6];
  return [
    ...set(a, load(A)),
    ...set(eta, load(ETA)),
    ...set(mean, add(get(a), mul(get(eta), add(mul(get(a), param(INV_VAR)), load(F))))),
    ...set(next, add(get(mean), mul(sqrt(mul(lit(2), get(eta))), load(NOISE)))),
    ...store(NEXT, get(next)),
    ...negLogDensityTerms(o, { a, eta, mean, x: next, eta4, logTerm, d }, { LOG_ETA, Q, P }),
  ];
});

/**
 * The tail STEP and DENSITIES share: the summands `(x - mean)^2 / (4 eta) + log(4 pi eta) / 2`
 * of -logQ (stored at Q) and `(a - (x - eta x / sigma0^2))^2 / (4 eta) + log(4 pi eta) / 2` of
 * -logPi (stored at P), for `x` the kernel's a^{k-1}; tmps and pointers by index, params
 * `[-1/sigma0^2, sigma0^2, log(4 pi)]`.
 */
function negLogDensityTerms(
  o: ReturnType<typeof ops>,
  t: { a: number; eta: number; mean: number; x: number; eta4: number; logTerm: number; d: number },
  at: { LOG_ETA: number; Q: number; P: number },
): Code {
  const { load, param, lit, get, set, store, add, sub, mul, div } = o;
  const [VAR, LOG4PI] = [1, 2];
  return [
    ...set(t.eta4, mul(lit(4), get(t.eta))),
    ...set(t.logTerm, mul(lit(0.5), add(load(at.LOG_ETA), param(LOG4PI)))),
    ...set(t.d, sub(get(t.x), get(t.mean))),
    ...store(at.Q, add(div(mul(get(t.d), get(t.d)), get(t.eta4)), get(t.logTerm))),
    ...set(t.d, sub(get(t.a), sub(get(t.x), mul(get(t.eta), div(get(t.x), param(VAR)))))),
    ...store(at.P, add(div(mul(get(t.d), get(t.d)), get(t.eta4)), get(t.logTerm))),
  ];
}

/**
 * The backward passes' part STEP_GRAD and DENSITIES_GRAD share, from the gradients of -logPi
 * (gRatio, in tmp `gL`) and of logQ (loaded from `at.G_Q`) to the running sums `E` (into eta),
 * `N` (into the kernel's a^{k-1}, started by `startN` from minus the -logPi term's share) and `G`
 * (into a), leaving logQ's share into a^{k-1} in tmp `x`; the tape's order, term by term.
 */
function negLogDensityGrads(
  o: ReturnType<typeof ops>,
  t: {
    eta: number;
    d: number;
    eta4: number;
    scaled: number;
    e: number;
    gL: number;
    E: number;
    N: number;
    G: number;
    x: number;
    y: number;
  },
  at: { G_Q: number },
  startN: (negX: Code) => Code,
): Code {
  const { load, param, lit, get, set, add, mul, div, neg } = o;
  const VAR = 1;
  /** The gradient into `4 eta` of `d^2 / (4 eta)` for upstream `g`: `-(g d^2) / (4 eta)^2`. */
  const divisorGrad = (g: Code, dv: number) =>
    neg(div(mul(g, mul(get(dv), get(dv))), mul(get(t.eta4), get(t.eta4))));
  // deno-fmt-ignore
  return [
    // -logPi: log(eta), then 4 eta, then the square of e = a - piMean
    ...set(t.E, div(mul(get(t.gL), lit(0.5)), get(t.eta))),
    ...set(t.E, add(get(t.E), mul(divisorGrad(get(t.gL), t.e), lit(4)))),
    ...set(t.x, mul(div(get(t.gL), get(t.eta4)), mul(get(t.e), lit(2)))), // a gets it, piMean -it
    ...set(t.G, get(t.x)),
    ...set(t.N, startN(neg(get(t.x)))),
    // piMean = x - eta (x / sigma0^2): into eta, then through the division into x
    ...set(t.E, add(get(t.E), mul(get(t.x), get(t.scaled)))),
    ...set(t.N, add(get(t.N), div(mul(get(t.x), get(t.eta)), param(VAR)))),
    // logQ: log(eta), 4 eta, the square of x - mean
    ...set(t.y, neg(load(at.G_Q))),
    ...set(t.E, add(get(t.E), div(mul(get(t.y), lit(0.5)), get(t.eta)))),
    ...set(t.E, add(get(t.E), mul(divisorGrad(get(t.y), t.d), lit(4)))),
    ...set(t.x, mul(div(get(t.y), get(t.eta4)), mul(get(t.d), lit(2)))),
  ];
}

/**
 * The backward passes' common end, from `M`, the gradient into `mean = a + eta drift` with
 * `drift = a (-1 / sigma0^2) + f`: the gradients into f, a and eta stored.
 */
function meanGrads(
  o: ReturnType<typeof ops>,
  t: { eta: number; drift: number; E: number; G: number; M: number; x: number },
  at: { OUT_A: number; OUT_F: number; OUT_ETA: number },
): Code {
  const { param, get, set, store, add, mul } = o;
  const INV_VAR = 0;
  return [
    ...set(t.G, add(get(t.G), get(t.M))),
    ...set(t.E, add(get(t.E), mul(get(t.M), get(t.drift)))),
    ...set(t.x, mul(get(t.M), get(t.eta))),
    ...store(at.OUT_F, get(t.x)),
    ...store(at.OUT_A, add(get(t.G), mul(get(t.x), param(INV_VAR)))),
    ...store(at.OUT_ETA, get(t.E)),
  ];
}

// stepGrad(a, f, eta, noise, gNext, gRatio, gQ, gA, gF, gEta, n, -1/sigma0^2, sigma0^2): the
// tensor form's backward pass per element, gRatio and gQ the per-sample upstream gradients of
// logRatio and of logQ (plus gRatio: logRatio = logQ - logPi adds it there) broadcast over dims.
// Each line is one tape node's gradient, in the order tfjs walks the tape (last op first); every
// running sum (E for eta, N for next, G for a) adds its terms in the order the tape does.
const STEP_GRAD = elementwiseFunction(10, 2, 17, (l, use) => {
  const o = ops(l, use);
  const { load, param, lit, get, set, add, sub, mul, div, sqrt, neg } = o;
  const [A, F, ETA, NOISE, G_NEXT, G_RATIO, G_Q, OUT_A, OUT_F, OUT_ETA] = [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
  ];
  const [INV_VAR, VAR] = [0, 1];
  const [a, eta, drift, mean, eta2, next, d, eta4, scaled, e, gL, E, N, G, M, x, y] = [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
  ];
  const tmps = { eta, drift, d, eta4, scaled, e, gL, E, N, G, M, x, y };
  // deno-fmt-ignore
  return [
    // the forward values the gradients read
    ...set(a, load(A)),
    ...set(eta, load(ETA)),
    ...set(drift, add(mul(get(a), param(INV_VAR)), load(F))),
    ...set(mean, add(get(a), mul(get(eta), get(drift)))),
    ...set(eta2, mul(lit(2), get(eta))),
    ...set(next, add(get(mean), mul(sqrt(get(eta2)), load(NOISE)))),
    ...set(d, sub(get(next), get(mean))),
    ...set(eta4, mul(lit(4), get(eta))),
    ...set(scaled, div(get(next), param(VAR))),
    ...set(e, sub(get(a), sub(get(next), mul(get(eta), get(scaled))))),
    ...set(gL, load(G_RATIO)),
    // x is next: next's own upstream gradient starts its sum
    ...negLogDensityGrads(o, tmps, { G_Q }, (negX) => add(load(G_NEXT), negX)),
    ...set(N, add(get(N), get(x))),
    ...set(M, add(neg(get(x)), get(N))),
    // next = mean + sqrt(2 eta) noise
    ...set(E, add(get(E), mul(div(mul(get(N), load(NOISE)), mul(sqrt(get(eta2)), lit(2))), lit(2)))),
    ...meanGrads(o, tmps, { OUT_A, OUT_F, OUT_ETA }),
  ];
});

// densities(a, f, eta, prev, logEta, q, p, n, -1/sigma0^2, sigma0^2, log(4 pi)): STEP for a
// given a^{k-1} (prev) in place of the sampled one: the summands of -logQ and -logPi
const DENSITIES = elementwiseFunction(7, 3, 7, (l, use) => {
  const o = ops(l, use);
  const { load, param, get, set, add, mul } = o;
  const [A, F, ETA, PREV, LOG_ETA, Q, P] = [0, 1, 2, 3, 4, 5, 6];
  const INV_VAR = 0;
  const [a, eta, mean, prev, eta4, logTerm, d] = [0, 1, 2, 3, 4, 5, 6];
  return [
    ...set(a, load(A)),
    ...set(eta, load(ETA)),
    ...set(prev, load(PREV)),
    ...set(mean, add(get(a), mul(get(eta), add(mul(get(a), param(INV_VAR)), load(F))))),
    ...negLogDensityTerms(o, { a, eta, mean, x: prev, eta4, logTerm, d }, { LOG_ETA, Q, P }),
  ];
});

// densitiesGrad(a, f, eta, prev, gRatio, gQ, gA, gF, gEta, gPrev, n, -1/sigma0^2, sigma0^2):
// STEP_GRAD without the sampling (prev is an input): the same tape order, minus next's node
const DENSITIES_GRAD = elementwiseFunction(10, 2, 16, (l, use) => {
  const o = ops(l, use);
  const { load, param, lit, get, set, store, add, sub, mul, div, neg } = o;
  const [A, F, ETA, PREV, G_RATIO, G_Q, OUT_A, OUT_F, OUT_ETA, OUT_PREV] = [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
  ];
  const [INV_VAR, VAR] = [0, 1];
  const [a, eta, drift, prev, d, eta4, scaled, e, gL, E, N, G, M, x, y] = [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
  ];
  const tmps = { eta, drift, d, eta4, scaled, e, gL, E, N, G, M, x, y };
  // deno-fmt-ignore
  return [
    ...set(a, load(A)),
    ...set(eta, load(ETA)),
    ...set(prev, load(PREV)),
    ...set(drift, add(mul(get(a), param(INV_VAR)), load(F))),
    ...set(d, sub(get(prev), add(get(a), mul(get(eta), get(drift))))),
    ...set(eta4, mul(lit(4), get(eta))),
    ...set(scaled, div(get(prev), param(VAR))),
    ...set(e, sub(get(a), sub(get(prev), mul(get(eta), get(scaled))))),
    ...set(gL, load(G_RATIO)),
    // x is prev, data: its sum starts with -logPi's share
    ...negLogDensityGrads(o, tmps, { G_Q }, (negX) => negX),
    ...store(OUT_PREV, add(get(N), get(x))),
    // mean = a + eta drift (its one consumer: prev - mean)
    ...set(M, neg(get(x))),
    ...meanGrads(o, tmps, { OUT_A, OUT_F, OUT_ETA }),
  ];
});

// siluGrad(dy, x, s, out, n): tfjs's gradient of x * s with s = sigmoid(x), accumulated as its
// tape does: dy s (the product's), plus (dy x) (s (1 - s)) (through the sigmoid)
// deno-fmt-ignore
const SILU_GRAD = elementwiseFunction(4, 0, 1, (l, use) => {
  const { load, lit, get, set, store, add, sub, mul } = ops(l, use);
  const s = 0;
  return [
    ...set(s, load(2)),
    ...store(3, add(mul(load(0), get(s)), mul(mul(load(0), load(1)), mul(get(s), sub(lit(1), get(s)))))),
  ];
});

/** The module's exports, over byte offsets in the backend's memory. */
interface ChainExports {
  step(...args: number[]): void;
  stepGrad(...args: number[]): void;
  siluGrad(dy: number, x: number, s: number, out: number, n: number): void;
  densities(...args: number[]): void;
  densitiesGrad(...args: number[]): void;
}

/** The module's bytes (memory imported as `env.memory`). */
export function chainModuleBytes(): Uint8Array {
  return moduleBytes(
    [STEP, STEP_GRAD, SILU_GRAD, DENSITIES, DENSITIES_GRAD],
    ["step", "stepGrad", "siluGrad", "densities", "densitiesGrad"],
  );
}

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<object, ChainExports>();
/** The last backend looked up and its kernels, so each op pays one comparison. */
let cachedBackend: unknown = null;
let cachedKernels: { backend: WasmBackendInternals; exports: ChainExports } | null = null;

let enabled = true;

/**
 * Switches the fused passes off (the tensor form everywhere) or back on; returns the previous
 * setting. For comparisons and timings of the two forms in one process.
 */
export function setFusedChain(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** The kernels on the running backend when it is the wasm one and they load there, else null. */
function chainKernels(): { backend: WasmBackendInternals; exports: ChainExports } | null {
  if (!enabled || tf.getBackend() !== "wasm") return null;
  const backend = tf.backend() as unknown as WasmBackendInternals;
  if (backend === cachedBackend) return cachedKernels;
  cachedBackend = backend;
  cachedKernels = null;
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let exports = instances.get(memory);
  if (!exports) {
    if (compiled === undefined) {
      try {
        compiled = new WebAssembly.Module(chainModuleBytes() as BufferSource);
      } catch {
        compiled = null; // no SIMD in this engine
      }
    }
    if (compiled === null) return null;
    exports = new WebAssembly.Instance(compiled, { env: { memory } })
      .exports as unknown as ChainExports;
    instances.set(memory, exports);
  }
  cachedKernels = { backend, exports };
  return cachedKernels;
}

/**
 * A float32 view of a tensor's buffer in the wasm memory; valid until the next allocation (which
 * may grow the memory and detach it).
 */
function heapView(backend: WasmBackendInternals, t: { dataId: unknown }, size: number) {
  return new Float32Array(backend.wasm.HEAPU8.buffer, offsetOf(backend, t), size);
}

/** A fresh float32 tensor of `shape` on the wasm backend. */
function fresh(backend: WasmBackendInternals, shape: number[]): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(backend.makeOutput(shape, "float32"));
}

/**
 * logQ and logRatio (`[batch]` each) from the per-element summands `q` of -logQ and `p` of
 * -logPi (`[batch, dims]`), as the tensor form finishes them: tf.sum's order (one running
 * float32 sum per row), then tf.neg and tf.sub.
 */
function logDensities(
  backend: WasmBackendInternals,
  q: tf.Tensor,
  p: tf.Tensor,
  batch: number,
  dims: number,
): tf.Tensor[] {
  const logQ = fresh(backend, [batch]);
  const logRatio = fresh(backend, [batch]);
  const qs = heapView(backend, q, batch * dims);
  const ps = heapView(backend, p, batch * dims);
  const lq = heapView(backend, logQ, batch);
  const lr = heapView(backend, logRatio, batch);
  for (let r = 0; r < batch; r++) {
    let sq = 0;
    let sp = 0;
    for (let c = r * dims; c < (r + 1) * dims; c++) {
      sq = Math.fround(sq + qs[c]);
      sp = Math.fround(sp + ps[c]);
    }
    lq[r] = -sq;
    lr[r] = Math.fround(-sq - -sp);
  }
  return [logQ, logRatio];
}

/**
 * The per-sample upstream gradients of logRatio and of logQ broadcast over dims, `[batch,
 * dims]` each; logQ's is its own plus logRatio's (`logRatio = logQ - logPi`), added as the tape
 * adds them.
 */
function densityGrads(
  backend: WasmBackendInternals,
  gLogQ: tf.Tensor,
  gRatio: tf.Tensor,
  batch: number,
  dims: number,
): tf.Tensor[] {
  const gL = fresh(backend, [batch, dims]);
  const gQ = fresh(backend, [batch, dims]);
  const ratio = heapView(backend, gRatio, batch);
  const own = heapView(backend, gLogQ, batch);
  const gLs = heapView(backend, gL, batch * dims);
  const gQs = heapView(backend, gQ, batch * dims);
  for (let r = 0; r < batch; r++) {
    gLs.fill(ratio[r], r * dims, (r + 1) * dims);
    gQs.fill(Math.fround(own[r] + ratio[r]), r * dims, (r + 1) * dims);
  }
  return [gL, gQ];
}

/**
 * One denoising step from `a` (a^k) given the score network's output `f`, the step size `eta`
 * (per sample and dim, positive) and standard normal `noise` (all `[batch, actDim]`): a^{k-1},
 * log q(a^{k-1} | a^k) and l_k, as {@link langevinStepTensor} computes them, with the same bits,
 * forward and backward. On the wasm backend one fused pass each way (plus tf.log of eta); the
 * gradient of `noise` is zeros.
 */
export function langevinStep(
  a: tf.Tensor2D,
  f: tf.Tensor2D,
  eta: tf.Tensor2D,
  noise: tf.Tensor2D,
  sigma0: number,
): LangevinStep {
  const kernels = chainKernels();
  const inputs = [a, f, eta, noise];
  const [batch, dims] = a.shape;
  if (
    !kernels || inputs.some((t) => t.dtype !== "float32" || t.rank !== 2) ||
    inputs.some((t) => t.shape[0] !== batch || t.shape[1] !== dims)
  ) {
    return langevinStepTensor(a, f, eta, noise, sigma0);
  }
  const { backend, exports } = kernels;
  const size = batch * dims;
  const invVar = -1 / (sigma0 * sigma0);
  const variance = sigma0 * sigma0;
  const at = (t: { dataId: unknown }) => offsetOf(backend, t);
  const [next, logQ, logRatio] = customOp(
    { a, f, eta, noise },
    () => {
      const logEta = tf.log(eta);
      const next = fresh(backend, [batch, dims]);
      const q = fresh(backend, [batch, dims]);
      const p = fresh(backend, [batch, dims]);
      exports.step(
        at(a),
        at(f),
        at(eta),
        at(noise),
        at(logEta),
        at(next),
        at(q),
        at(p),
        size,
        invVar,
        variance,
        LOG_4PI,
      );
      return { outputs: [next, ...logDensities(backend, q, p, batch, dims)], keep: inputs };
    },
    (dys, kept) => {
      const [ka, kf, kEta, kNoise] = kept;
      const [gNext, gLogQ, gRatio] = dys;
      const [gL, gQ] = densityGrads(backend, gLogQ, gRatio, batch, dims);
      const gA = fresh(backend, [batch, dims]);
      const gF = fresh(backend, [batch, dims]);
      const gEta = fresh(backend, [batch, dims]);
      exports.stepGrad(
        at(ka),
        at(kf),
        at(kEta),
        at(kNoise),
        at(gNext),
        at(gL),
        at(gQ),
        at(gA),
        at(gF),
        at(gEta),
        size,
        invVar,
        variance,
      );
      gL.dispose();
      gQ.dispose();
      return {
        a: () => gA,
        f: () => gF,
        eta: () => gEta,
        noise: () => tf.zerosLike(noise),
      };
    },
  );
  return {
    next: next as tf.Tensor2D,
    logQ: logQ as tf.Tensor1D,
    logRatio: logRatio as tf.Tensor1D,
  };
}

/** log q(a^{k-1} | a^k) and l_k per sample for a given a^{k-1}. */
export interface LangevinDensities {
  /** `[batch]`. */
  logQ: tf.Tensor1D;
  /** `log q(a^{k-1} | a^k) - log pi(a^k | a^{k-1})`: `[batch]`. */
  logRatio: tf.Tensor1D;
}

/** The tensor form of {@link langevinDensities}. */
export function langevinDensitiesTensor(
  a: tf.Tensor2D,
  f: tf.Tensor2D,
  eta: tf.Tensor2D,
  prev: tf.Tensor2D,
  sigma0: number,
): LangevinDensities {
  const drift = tf.add(tf.mul(a, -1 / (sigma0 * sigma0)), f);
  const mean = tf.add(a, tf.mul(eta, drift));
  const logQ = langevinLogDensity(prev, mean, eta);
  const logPi = langevinLogDensity(a, noisingMean(prev, eta, sigma0), eta);
  return { logQ, logRatio: tf.sub(logQ, logPi) as tf.Tensor1D };
}

/** Whether `t` is the output of an op on the active gradient tape (it may carry a gradient). */
function producedOnTape(t: tf.Tensor): boolean {
  const state = tf.engine().state as unknown as { activeTape?: { outputs: tf.Tensor[] }[] | null };
  const tape = tapeIsOn() ? state.activeTape : null;
  return tape != null && tape.some((node) => node.outputs.some((o) => o.id === t.id));
}

/**
 * log q(prev | a) and l_k for a given transition `a` (a^k) -> `prev` (a^{k-1}), the score
 * network's output `f` and the step size `eta` (all `[batch, actDim]`), as
 * {@link langevinDensitiesTensor} computes them, with the same bits forward and backward. On the
 * wasm backend one fused pass each way (plus tf.log of eta) when `prev` is data, as it is for
 * stored or detached chains; a `prev` computed on the gradient tape gets the tensor form, whose
 * tape adds prev's gradient terms one by one into those it has from elsewhere.
 */
export function langevinDensities(
  a: tf.Tensor2D,
  f: tf.Tensor2D,
  eta: tf.Tensor2D,
  prev: tf.Tensor2D,
  sigma0: number,
): LangevinDensities {
  const kernels = chainKernels();
  const inputs = [a, f, eta, prev];
  const [batch, dims] = a.shape;
  if (
    !kernels || inputs.some((t) => t.dtype !== "float32" || t.rank !== 2) ||
    inputs.some((t) => t.shape[0] !== batch || t.shape[1] !== dims) ||
    prev instanceof tf.Variable || producedOnTape(prev)
  ) {
    return langevinDensitiesTensor(a, f, eta, prev, sigma0);
  }
  const { backend, exports } = kernels;
  const size = batch * dims;
  const invVar = -1 / (sigma0 * sigma0);
  const variance = sigma0 * sigma0;
  const at = (t: { dataId: unknown }) => offsetOf(backend, t);
  const [logQ, logRatio] = customOp(
    { a, f, eta, prev },
    () => {
      const logEta = tf.log(eta);
      const q = fresh(backend, [batch, dims]);
      const p = fresh(backend, [batch, dims]);
      exports.densities(
        at(a),
        at(f),
        at(eta),
        at(prev),
        at(logEta),
        at(q),
        at(p),
        size,
        invVar,
        variance,
        LOG_4PI,
      );
      return { outputs: logDensities(backend, q, p, batch, dims), keep: inputs };
    },
    ([gLogQ, gRatio], [ka, kf, kEta, kPrev]) => {
      const [gL, gQ] = densityGrads(backend, gLogQ, gRatio, batch, dims);
      const grads = [0, 1, 2, 3].map(() => fresh(backend, [batch, dims]));
      exports.densitiesGrad(
        at(ka),
        at(kf),
        at(kEta),
        at(kPrev),
        at(gL),
        at(gQ),
        ...grads.map(at),
        size,
        invVar,
        variance,
      );
      gL.dispose();
      gQ.dispose();
      const [gA, gF, gEta, gPrev] = grads;
      return { a: () => gA, f: () => gF, eta: () => gEta, prev: () => gPrev };
    },
  );
  return { logQ: logQ as tf.Tensor1D, logRatio: logRatio as tf.Tensor1D };
}

/**
 * `x * sigmoid(x)` with tfjs's gradient (same bits). Under a gradient tape on the wasm backend
 * the forward pass runs the backend's own two kernels without the tape's copies of their inputs
 * and output, and the backward pass is one fused pass instead of six kernels. (The backend's
 * sigmoid, XNNPACK's, interleaves four vectors; a single-vector kernel of the same steps is
 * slower than it and the product together.)
 */
export function silu(x: tf.Tensor): tf.Tensor {
  const kernels = x.dtype === "float32" && tapeIsOn() ? chainKernels() : null;
  if (!kernels) return siluTensor(x);
  const { backend, exports } = kernels;
  const at = (t: { dataId: unknown }) => offsetOf(backend, t);
  return customOp(
    { x },
    () => {
      const s = tf.sigmoid(x);
      return { outputs: [tf.mul(x, s)], keep: [x, s] };
    },
    ([dy], [kx, ks]) => {
      const dx = fresh(backend, x.shape);
      exports.siluGrad(at(dy), at(kx), at(ks), at(dx), x.size);
      return { x: () => dx };
    },
  )[0];
}

/**
 * `tf.split(w, sizes, 0)` for a float32 matrix, with its gradient (the blocks' gradients
 * concatenated): on the wasm backend each block is one copy out of `w`'s buffer, where the
 * backend's split first copies the whole of `w` out of its memory once per block.
 */
export function rowBlocks(w: tf.Tensor2D, sizes: number[]): tf.Tensor2D[] {
  const kernels = w.dtype === "float32" ? chainKernels() : null;
  if (!kernels) return tf.split(w, sizes, 0) as tf.Tensor2D[];
  const { backend } = kernels;
  const cols = w.shape[1];
  return customOp(
    { w },
    () => {
      const outputs = sizes.map((rows) => fresh(backend, [rows, cols]));
      // views after every allocation: growing the memory detaches earlier ones
      const source = heapView(backend, w, w.size);
      let start = 0;
      outputs.forEach((block) => {
        heapView(backend, block, block.size).set(source.subarray(start, start + block.size));
        start += block.size;
      });
      return { outputs, keep: [] };
    },
    (dys) => ({ w: () => tf.concat(dys, 0) }),
  ) as tf.Tensor2D[];
}

/**
 * `tf.unstack(x, 1)` for a float32 `[batch, slots, dims]` tensor: the `[batch, dims]` slots, with
 * its gradient (the slots' gradients stacked). On the wasm backend one pass of copies, where the
 * backend's unstack copies the whole of `x` out of its memory once per slot.
 */
export function unstackSlots(x: tf.Tensor3D): tf.Tensor2D[] {
  const kernels = x.dtype === "float32" ? chainKernels() : null;
  if (!kernels) return tf.unstack(x, 1) as tf.Tensor2D[];
  const { backend } = kernels;
  const [batch, slots, dims] = x.shape;
  return customOp(
    { x },
    () => {
      const outputs = Array.from({ length: slots }, () => fresh(backend, [batch, dims]));
      const source = heapView(backend, x, x.size);
      outputs.forEach((slot, j) => {
        const out = heapView(backend, slot, batch * dims);
        for (let b = 0; b < batch; b++) {
          const from = (b * slots + j) * dims;
          for (let d = 0; d < dims; d++) out[b * dims + d] = source[from + d];
        }
      });
      return { outputs, keep: [] };
    },
    (dys) => ({ x: () => tf.stack(dys, 1) }),
  ) as tf.Tensor2D[];
}

/**
 * `tf.add(x, y)` for two float32 tensors of one shape, with its gradient (`dy` to both), without
 * what tf.add records under a gradient tape: a copy of both inputs (kept there for broadcasting,
 * which equal shapes do not need). The wasm backend's own add runs either way.
 */
export function addSameShape(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const same = x.dtype === "float32" && y.dtype === "float32" &&
    x.shape.length === y.shape.length && x.shape.every((n, i) => n === y.shape[i]);
  if (!same || !tapeIsOn() || !chainKernels()) return tf.add(x, y);
  return customOp(
    { x, y },
    () => ({ outputs: [tf.add(x, y)], keep: [] }),
    // one alias each: the engine disposes the two gradients separately
    ([dy]) => ({ x: () => tf.reshape(dy, x.shape), y: () => tf.reshape(dy, y.shape) }),
  )[0];
}

/**
 * `row` (`[dims]`) on each of `batch` rows, `[batch, dims]`: what `linear(ones([batch, 1]),
 * reshape(row, [1, dims]))` computes, with its gradient's bits (`ones^T dy` as that linear's
 * weight gradient multiplies it), without its two matrix products by ones in the forward pass
 * and for the gradient of the constant.
 */
export function broadcastRows(row: tf.Tensor1D, batch: number): tf.Tensor2D {
  const kernels = row.dtype === "float32" ? chainKernels() : null;
  const dims = row.shape[0];
  const ones = () => tf.ones([batch, 1]) as tf.Tensor2D;
  if (!kernels) return tf.matMul(ones(), tf.reshape(row, [1, dims]) as tf.Tensor2D);
  const { backend } = kernels;
  return customOp(
    { row },
    () => {
      const out = fresh(backend, [batch, dims]);
      const values = heapView(backend, row, dims).slice();
      const view = heapView(backend, out, batch * dims);
      for (let r = 0; r < batch; r++) view.set(values, r * dims);
      return { outputs: [out], keep: [] };
    },
    ([dy]) => {
      // core/tensor/nn.ts's product with a transposed operand, as its linear's gradient runs it
      const transposed = nativeMatMulEnabled()
        ? tf.matMul(ones(), dy as tf.Tensor2D, true, false)
        : tf.matMul(tf.transpose(ones()), dy as tf.Tensor2D);
      return { row: () => tf.reshape(transposed, [dims]) };
    },
  )[0] as tf.Tensor2D;
}

/**
 * Fused elementwise kernels that run on the TensorFlow.js wasm backend's own memory: a small
 * WebAssembly module, assembled here, that imports the backend's `WebAssembly.Memory` and works
 * on tensors' buffers in place of the chain of kernels (each with its own output allocation,
 * pass over memory and engine bookkeeping) that the tensor form of the same update runs.
 *
 * Each kernel runs four lanes at a time with 128-bit SIMD, then the remainder one at a time. The
 * Adam, Polyak, bias(+relu) and relu-gradient kernels do the tensor form's float32 operations in
 * the same order (IEEE add, sub, mul, div and sqrt are correctly rounded in every lane), so both
 * give identical bits; the tanh kernel, which replaces the backend's own `Tanh` kernel (libm's `tanhf` one element at a
 * time, ~15 ns each), is a rational approximation within 7 ulp (4.1e-7).
 */
import { tf } from "./tf.ts";

/** tfjs-backend-wasm internals the kernels read: the tensor table and the module's memory. */
export interface WasmBackendInternals {
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } };
  wasm: { HEAPU8: Uint8Array; asm?: { memory?: unknown } };
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
}

/** The float32 constants of one Adam step (gradient scale 1 when norm clipping is off). */
export interface AdamStepConstants {
  beta1: number;
  beta2: number;
  eps: number;
  /** `lr / (1 - beta1^t)`. */
  stepSize: number;
  /** `sqrt(1 - beta2^t)`. */
  bias2: number;
  scale: number;
}

/** Byte offsets in the wasm memory of one variable's buffers: inputs, then outputs. */
export interface AdamBuffers {
  param: number;
  m: number;
  v: number;
  grad: number;
  paramOut: number;
  mOut: number;
  vOut: number;
}

/** The kernels, over byte offsets of float32 buffers in the backend's memory. */
export interface HeapKernels {
  /**
   * One Adam step over `n` floats: `g = grad * scale`, `m' = m b1 + g (1 - b1)`,
   * `v' = v b2 + g^2 (1 - b2)`, `p' = p - (m' / (sqrt(v') / bias2 + eps)) stepSize`.
   */
  adam(buffers: AdamBuffers, n: number, c: AdamStepConstants): void;
  /** `out = source tau + target (1 - tau)` over `n` floats. */
  polyak(source: number, target: number, out: number, n: number, tau: number): void;
  /** `out = tanh(x)` over `n` floats, within 7 ulp (see `TANH` below). */
  tanh(x: number, out: number, n: number): void;
  /**
   * `out = x + bias` (then relu when `relu`) over `groups` stacked `[rows, cols]` matrices, bias
   * `[groups, cols]`: tf.add's (and tf.relu's) bits.
   */
  biasAdd(x: number, bias: number, out: number, shape: BiasShape, relu: boolean): void;
  /** `out = dy * step(y)` over `n` floats: relu's gradient from its output, tfjs's bits. */
  reluGrad(dy: number, y: number, out: number, n: number): void;
  /** `out = relu(x + a)` over `n` floats: tf.add's, then tf.relu's bits. */
  addRelu(x: number, a: number, out: number, n: number): void;
}

/** `groups` stacked `[rows, cols]` matrices. */
export interface BiasShape {
  groups: number;
  rows: number;
  cols: number;
}

// --- a minimal WebAssembly encoder: just what the kernels below need ---

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  while (true) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (s: string) => vec([...new TextEncoder().encode(s)].map((b) => [b]));
const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];

/** `local.get i`. */
export const localGet = (i: number) => [0x20, ...uleb(i)];
/** `local.set i`. */
export const localSet = (i: number) => [0x21, ...uleb(i)];
const i32Const = (n: number) => [0x41, ...sleb(n)];
const I32_ADD = [0x6a];
const I32_AND = [0x71];
const I32_SHL = [0x74];
const I32_GE_U = [0x4f];
/** A SIMD instruction by its opcode. */
export const simd = (op: number) => [0xfd, ...uleb(op)];

/** The arithmetic of one lane width: four floats (v128) or one (f32). */
export interface Lanes {
  bytes: number;
  load: number[];
  store: number[];
  add: number[];
  sub: number[];
  mul: number[];
  div: number[];
  sqrt: number[];
  min: number[];
  max: number[];
  /** Pushes the float32 constant `x` (in every lane). */
  constant(x: number): number[];
  /** Pushes `z < 0 ? 0 : z` for local `z`: tf.relu's exact semantics (NaN and -0 kept). */
  relu(z: number): number[];
  /** Pushes `y > 0 ? dy : dy * 0` for locals `y`, `dy`: `dy * step(y)` as tfjs computes it. */
  passWherePositive(y: number, dy: number): number[];
}

/** The four little-endian bytes of float32 `x`. */
function f32Bytes(x: number): number[] {
  return [...new Uint8Array(new Float32Array([x]).buffer)];
}

const VECTOR_ZERO = [...simd(0x0c), ...Array(16).fill(0)];
const SCALAR_ZERO = [0x43, 0, 0, 0, 0];

const VECTOR: Lanes = {
  bytes: 16,
  load: [...simd(0x00), 0, 0], // v128.load align=1 offset=0
  store: [...simd(0x0b), 0, 0],
  sqrt: simd(0xe3),
  add: simd(0xe4),
  sub: simd(0xe5),
  mul: simd(0xe6),
  div: simd(0xe7),
  min: simd(0xe8),
  max: simd(0xe9),
  constant: (x) => [...simd(0x0c), ...f32Bytes(x), ...f32Bytes(x), ...f32Bytes(x), ...f32Bytes(x)],
  // z and not(z < 0)
  relu: (z) => [...localGet(z), ...localGet(z), ...VECTOR_ZERO, ...simd(0x43), ...simd(0x4f)],
  // v128.bitselect(dy, dy * 0, y > 0)
  passWherePositive: (y, dy) => [
    ...localGet(dy),
    ...localGet(dy),
    ...VECTOR_ZERO,
    ...simd(0xe6),
    ...localGet(y),
    ...VECTOR_ZERO,
    ...simd(0x44),
    ...simd(0x52),
  ],
};

const SCALAR: Lanes = {
  bytes: 4,
  load: [0x2a, 2, 0], // f32.load align=4 offset=0
  store: [0x38, 2, 0],
  sqrt: [0x91],
  add: [0x92],
  sub: [0x93],
  mul: [0x94],
  div: [0x95],
  min: [0x96],
  max: [0x97],
  constant: (x) => [0x43, ...f32Bytes(x)],
  // select(0, z, z < 0)
  relu: (z) => [...SCALAR_ZERO, ...localGet(z), ...localGet(z), ...SCALAR_ZERO, 0x5d, 0x1b],
  // select(dy, dy * 0, y > 0)
  passWherePositive: (y, dy) => [
    ...localGet(dy),
    ...localGet(dy),
    ...SCALAR_ZERO,
    0x94,
    ...localGet(y),
    ...SCALAR_ZERO,
    0x5e,
    0x1b,
  ],
};

/**
 * A kernel's body as a function of the lane width: `constant(k)` pushes float parameter `k`
 * (splatted for vectors), `at(p)` pushes the address of pointer parameter `p` at the current
 * element, `tmp(k)` is the index of temporary `k` of the lane type.
 */
export type Body = (
  lanes: Lanes,
  use: { constant(k: number): number[]; at(p: number): number[]; tmp(k: number): number },
) => number[];

/** `while (i < limit) { body; i += lanes.bytes }` for i32 locals `i` and `limit`. */
// deno-fmt-ignore
function lanesLoop(lanes: Lanes, i: number, limit: number, body: number[]): number[] {
  return [
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...localGet(i), ...localGet(limit), ...I32_GE_U, 0x0d, 1, // br_if out of the block
    ...body,
    ...localGet(i), ...i32Const(lanes.bytes), ...I32_ADD, ...localSet(i),
    0x0c, 0, // br to the loop
    0x0b, 0x0b, // end loop, end block
  ];
}

/** One function of a kernel module: its type and its code, encoded. */
export interface KernelFunction {
  type: number[];
  code: number[];
}

/**
 * One exported function over `pointers` i32 byte offsets, an i32 element count, then `floats`
 * f32 constants: the body runs four elements at a time while four remain, then one at a time.
 */
export function elementwiseFunction(
  pointers: number,
  floats: number,
  temps: number,
  body: Body,
): KernelFunction {
  const params = [...Array(pointers + 1).fill(I32), ...Array(floats).fill(F32)];
  const count = pointers;
  const first = params.length;
  // locals: i, end, end4 (i32); splatted constants and vector temporaries (v128); f32 temporaries
  const [i, end, end4] = [first, first + 1, first + 2];
  const splat = (k: number) => first + 3 + k;
  const vecTmp = (k: number) => first + 3 + floats + k;
  const scalarTmp = (k: number) => first + 3 + floats + temps + k;
  const locals = [[...uleb(3), I32], [...uleb(floats + temps), V128], [...uleb(temps), F32]];
  const loop = (lanes: Lanes, limit: number, vector: boolean) =>
    lanesLoop(
      lanes,
      i,
      limit,
      body(lanes, {
        constant: (k) => localGet(vector ? splat(k) : count + 1 + k),
        at: (p) => [...localGet(p), ...localGet(i), ...I32_ADD],
        tmp: (k) => vector ? vecTmp(k) : scalarTmp(k),
      }),
    );
  // deno-fmt-ignore
  const code = [
    ...vec(locals),
    ...localGet(count), ...i32Const(2), ...I32_SHL, ...localSet(end),
    ...localGet(end), ...i32Const(-16), ...I32_AND, ...localSet(end4),
    ...Array.from({ length: floats }, (_, k) => [
      ...localGet(count + 1 + k), ...simd(0x13), ...localSet(splat(k)), // f32x4.splat
    ]).flat(),
    ...loop(VECTOR, end4, true),
    ...loop(SCALAR, end, false),
    0x0b,
  ];
  return { type: [0x60, ...vec(params.map((t) => [t])), 0], code: [...uleb(code.length), ...code] };
}

// adam(p, m, v, g, pOut, mOut, vOut, n, beta1, 1-beta1, beta2, 1-beta2, bias2, eps, stepSize, scale)
const ADAM = elementwiseFunction(7, 8, 3, (l, { constant, at, tmp }) => {
  const [P, M, V, G, P_OUT, M_OUT, V_OUT] = [0, 1, 2, 3, 4, 5, 6];
  const [BETA1, ONE_MINUS_BETA1, BETA2, ONE_MINUS_BETA2, BIAS2, EPS, STEP, SCALE] = [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
  ];
  const [g, m, v] = [tmp(0), tmp(1), tmp(2)];
  // deno-fmt-ignore
  return [
    ...at(G), ...l.load, ...constant(SCALE), ...l.mul, ...localSet(g),
    // m' = m beta1 + g (1 - beta1)
    ...at(M), ...l.load, ...constant(BETA1), ...l.mul,
    ...localGet(g), ...constant(ONE_MINUS_BETA1), ...l.mul, ...l.add, ...localSet(m),
    // v' = v beta2 + (g g) (1 - beta2)
    ...at(V), ...l.load, ...constant(BETA2), ...l.mul,
    ...localGet(g), ...localGet(g), ...l.mul, ...constant(ONE_MINUS_BETA2), ...l.mul, ...l.add,
    ...localSet(v),
    ...at(M_OUT), ...localGet(m), ...l.store,
    ...at(V_OUT), ...localGet(v), ...l.store,
    // p' = p - (m' / (sqrt(v') / bias2 + eps)) stepSize
    ...at(P_OUT), ...at(P), ...l.load,
    ...localGet(m), ...localGet(v), ...l.sqrt, ...constant(BIAS2), ...l.div, ...constant(EPS),
    ...l.add, ...l.div, ...constant(STEP), ...l.mul, ...l.sub, ...l.store,
  ];
});

// polyak(source, target, out, n, tau, 1-tau)
// deno-fmt-ignore
const POLYAK = elementwiseFunction(3, 2, 0, (l, { constant, at }) => [
  ...at(2), ...at(0), ...l.load, ...constant(0), ...l.mul,
  ...at(1), ...l.load, ...constant(1), ...l.mul, ...l.add, ...l.store,
]);

// tanh(x, out, n): the rational approximation Eigen and XNNPACK use for float32 (odd degree-13
// numerator over even degree-6 denominator on x clamped to where it reaches +-1), within 7 ulp
// (at most 4.1e-7) from the exact value, against libm's tanhf one element at a time in the backend
const TANH_CLAMP = 7.90531110763549805;
const TANH_NUMERATOR = [
  -2.76076847742355e-16,
  2.00018790482477e-13,
  -8.60467152213735e-11,
  5.12229709037114e-08,
  1.48572235717979e-05,
  6.37261928875436e-04,
  4.89352455891786e-03,
];
const TANH_DENOMINATOR = [
  1.19825839466702e-06,
  1.18534705686654e-04,
  2.26843463243900e-03,
  4.89352518554385e-03,
];
/** Pushes the tanh of local `x` (clamped there), with `x2` a temporary: {@link TANH}'s arithmetic. */
function tanhOf(l: Lanes, x: number, x2: number): number[] {
  /** Horner's rule in x2 over `coefficients`, highest degree first. */
  const horner = (coefficients: number[]) => [
    ...l.constant(coefficients[0]),
    ...coefficients.slice(1).flatMap((c) => [
      ...localGet(x2),
      ...l.mul,
      ...l.constant(c),
      ...l.add,
    ]),
  ];
  // deno-fmt-ignore
  return [
    ...localGet(x), ...l.constant(TANH_CLAMP), ...l.min, ...l.constant(-TANH_CLAMP),
    ...l.max, ...localSet(x),
    ...localGet(x), ...localGet(x), ...l.mul, ...localSet(x2),
    ...horner(TANH_NUMERATOR), ...localGet(x), ...l.mul,
    ...horner(TANH_DENOMINATOR),
    ...l.div,
  ];
}
// deno-fmt-ignore
const TANH = elementwiseFunction(2, 0, 2, (l, { at, tmp }) => [
  ...at(1), ...at(0), ...l.load, ...localSet(tmp(0)), ...tanhOf(l, tmp(0), tmp(1)), ...l.store,
]);

/**
 * One exported function `(x, bias, out, groups, rows, cols)` over `groups` stacked `[rows, cols]`
 * float32 matrices with one bias row each (`[groups, cols]`): for each row, the body runs on its
 * elements four at a time while four remain, then one at a time, with `at(0)`, `at(1)`, `at(2)`
 * the addresses of the current element of x's row, the bias row and out's row.
 */
function rowwiseFunction(temps: number, body: Body) {
  const [X, BIAS, OUT, GROUPS, ROWS, COLS] = [0, 1, 2, 3, 4, 5];
  const first = 6;
  const [row, totalRows, rowBytes, vecBytes, c, xRow, bRow, oRow] = Array.from(
    { length: 8 },
    (_, k) => first + k,
  );
  const vecTmp = (k: number) => first + 8 + k;
  const scalarTmp = (k: number) => first + 8 + temps + k;
  const rowPointers = [xRow, bRow, oRow];
  const locals = [[...uleb(8), I32], [...uleb(temps), V128], [...uleb(temps), F32]];
  const inner = (lanes: Lanes, limit: number, vector: boolean) =>
    lanesLoop(
      lanes,
      c,
      limit,
      body(lanes, {
        constant: () => {
          throw new Error("rowwise kernels take no float parameters");
        },
        at: (p) => [...localGet(rowPointers[p]), ...localGet(c), ...I32_ADD],
        tmp: (k) => vector ? vecTmp(k) : scalarTmp(k),
      }),
    );
  const rowStart = (base: number, index: number[]) => [
    ...localGet(base),
    ...index,
    ...localGet(rowBytes),
    0x6c, // i32.mul
    ...I32_ADD,
  ];
  // deno-fmt-ignore
  const code = [
    ...vec(locals),
    ...localGet(GROUPS), ...localGet(ROWS), 0x6c, ...localSet(totalRows),
    ...localGet(COLS), ...i32Const(2), ...I32_SHL, ...localSet(rowBytes),
    ...localGet(rowBytes), ...i32Const(-16), ...I32_AND, ...localSet(vecBytes),
    ...lanesLoop(SCALAR_ROW, row, totalRows, [
      ...rowStart(X, localGet(row)), ...localSet(xRow),
      ...rowStart(OUT, localGet(row)), ...localSet(oRow),
      ...rowStart(BIAS, [...localGet(row), ...localGet(ROWS), 0x6e]), ...localSet(bRow), // div_u
      ...i32Const(0), ...localSet(c),
      ...inner(VECTOR, vecBytes, true),
      ...inner(SCALAR, rowBytes, false),
    ]),
    0x0b,
  ];
  const params = Array(6).fill(I32);
  return { type: [0x60, ...vec(params.map((t) => [t])), 0], code: [...uleb(code.length), ...code] };
}

/** {@link lanesLoop}'s step of one for the row counter. */
const SCALAR_ROW: Lanes = { ...SCALAR, bytes: 1 };

// biasRelu(x, bias, out, groups, rows, cols): out = relu(x + bias)
// deno-fmt-ignore
const BIAS_RELU = rowwiseFunction(1, (l, { at, tmp }) => [
  ...at(2), ...at(0), ...l.load, ...at(1), ...l.load, ...l.add, ...localSet(tmp(0)),
  ...l.relu(tmp(0)), ...l.store,
]);

// biasAdd(x, bias, out, groups, rows, cols): out = x + bias
// deno-fmt-ignore
const BIAS_ADD = rowwiseFunction(0, (l, { at }) => [
  ...at(2), ...at(0), ...l.load, ...at(1), ...l.load, ...l.add, ...l.store,
]);

// reluGrad(dy, y, out, n): out = dy * step(y)
// deno-fmt-ignore
const RELU_GRAD = elementwiseFunction(3, 0, 2, (l, { at, tmp }) => [
  ...at(2),
  ...at(0), ...l.load, ...localSet(tmp(1)),
  ...at(1), ...l.load, ...localSet(tmp(0)),
  ...l.passWherePositive(tmp(0), tmp(1)), ...l.store,
]);

// addRelu(x, a, out, n): out = relu(x + a)
// deno-fmt-ignore
const ADD_RELU = elementwiseFunction(3, 0, 1, (l, { at, tmp }) => [
  ...at(2), ...at(0), ...l.load, ...at(1), ...l.load, ...l.add, ...localSet(tmp(0)),
  ...l.relu(tmp(0)), ...l.store,
]);

const KERNEL_NAMES = ["adam", "polyak", "tanh", "biasRelu", "biasAdd", "reluGrad", "addRelu"];

/** The module's bytes: memory imported as `env.memory`, the kernels of KERNEL_NAMES exported. */
export function kernelModuleBytes(): Uint8Array {
  // KERNEL_NAMES' order
  return moduleBytes(
    [ADAM, POLYAK, TANH, BIAS_RELU, BIAS_ADD, RELU_GRAD, ADD_RELU],
    KERNEL_NAMES,
  );
}

/**
 * A module that imports its memory as `env.memory` (a backend's) and exports `functions` under
 * `names` (same order).
 */
export function moduleBytes(functions: KernelFunction[], names: string[]): Uint8Array {
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(functions.map((f) => f.type))),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, ...uleb(0)]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(names.map((n, i) => [...name(n), 0x00, i]))),
    ...section(10, vec(functions.map((f) => f.code))),
  ]);
}

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<object, HeapKernels>();

/**
 * The kernels on `backend`'s memory, or null where they cannot run (no WebAssembly SIMD, or a
 * backend build that does not export its memory); callers then use the tensor form.
 */
export function heapKernels(backend: WasmBackendInternals): HeapKernels | null {
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  const cached = instances.get(memory);
  if (cached) return cached;
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(kernelModuleBytes() as BufferSource);
    } catch {
      compiled = null; // no SIMD in this engine
    }
  }
  if (compiled === null) return null;
  const exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports as {
    adam: (...args: number[]) => void;
    polyak: (...args: number[]) => void;
    tanh: (...args: number[]) => void;
    biasRelu: (...args: number[]) => void;
    biasAdd: (...args: number[]) => void;
    reluGrad: (...args: number[]) => void;
    addRelu: (...args: number[]) => void;
  };
  const kernels: HeapKernels = {
    adam: (b, n, c) =>
      exports.adam(
        b.param,
        b.m,
        b.v,
        b.grad,
        b.paramOut,
        b.mOut,
        b.vOut,
        n,
        c.beta1,
        1 - c.beta1,
        c.beta2,
        1 - c.beta2,
        c.bias2,
        c.eps,
        c.stepSize,
        c.scale,
      ),
    polyak: (source, target, out, n, tau) => exports.polyak(source, target, out, n, tau, 1 - tau),
    tanh: (x, out, n) => exports.tanh(x, out, n),
    biasAdd: (x, bias, out, { groups, rows, cols }, relu) =>
      (relu ? exports.biasRelu : exports.biasAdd)(x, bias, out, groups, rows, cols),
    reluGrad: (dy, y, out, n) => exports.reluGrad(dy, y, out, n),
    addRelu: (x, a, out, n) => exports.addRelu(x, a, out, n),
  };
  instances.set(memory, kernels);
  return kernels;
}

let tanhRegistered = false;

/**
 * Puts the SIMD tanh in place of the wasm backend's `Tanh` kernel (its gradient, from the
 * output, is unchanged); other dtypes, and engines without the kernels, keep the original.
 * Idempotent; call after the wasm backend's module is imported.
 */
export function registerWasmKernels(): void {
  if (tanhRegistered) return;
  const current = tf.getKernel("Tanh", "wasm");
  if (!current) return;
  tanhRegistered = true;
  const fallback = current.kernelFunc as unknown as (args: unknown) => tf.TensorInfo;
  tf.unregisterKernel("Tanh", "wasm");
  tf.registerKernel({
    ...current,
    kernelFunc: ((args: { inputs: { x: tf.TensorInfo }; backend: WasmBackendInternals }) => {
      const { inputs: { x }, backend } = args;
      const kernels = x.dtype === "float32" ? heapKernels(backend) : null;
      if (!kernels) return fallback(args);
      const out = backend.makeOutput(x.shape.slice(), "float32");
      kernels.tanh(offsetOf(backend, x), offsetOf(backend, out), tf.util.sizeFromShape(x.shape));
      return out;
    }) as unknown as tf.KernelFunc,
  });
}

/** A tensor's byte offset in the wasm memory. */
export function offsetOf(backend: WasmBackendInternals, tensor: { dataId: unknown }): number {
  return backend.dataIdMap.get(tensor.dataId).memoryOffset;
}

/**
 * The kernels on the running wasm backend's tensors: inputs are read where they lie, outputs are
 * fresh float32 tensors (a tensor's buffer may be shared, e.g. by a variable assigned from it, so
 * none is written in place). The results are not recorded on a gradient tape.
 */
export class WasmTensorKernels {
  private constructor(
    private readonly backend: WasmBackendInternals,
    private readonly kernels: HeapKernels,
  ) {}

  private static cached: { backend: unknown; kernels: WasmTensorKernels | null } | null = null;

  /** The kernels when the wasm backend is running and they load there, else null. */
  static current(): WasmTensorKernels | null {
    if (tf.getBackend() !== "wasm") return null;
    const backend = tf.backend() as unknown as WasmBackendInternals;
    // looked up once per backend instance (called for every layer of every pass)
    if (WasmTensorKernels.cached?.backend !== backend) {
      const kernels = heapKernels(backend);
      WasmTensorKernels.cached = {
        backend,
        kernels: kernels ? new WasmTensorKernels(backend, kernels) : null,
      };
    }
    return WasmTensorKernels.cached.kernels;
  }

  /** Allocates outputs of `shapes`, runs `call` on the byte offsets, returns the outputs. */
  private run(
    inputs: tf.Tensor[],
    shapes: number[][],
    call: (inputs: number[], outputs: number[]) => void,
  ): tf.Tensor[] {
    const outs = shapes.map((shape) => this.backend.makeOutput(shape.slice(), "float32"));
    const offset = (t: { dataId: unknown }) => offsetOf(this.backend, t);
    call(inputs.map(offset), outs.map(offset));
    return outs.map((info) => tf.engine().makeTensorFromTensorInfo(info));
  }

  /** One Adam step: the new parameter, first and second moments. */
  adam(
    param: tf.Tensor,
    m: tf.Tensor,
    v: tf.Tensor,
    grad: tf.Tensor,
    c: AdamStepConstants,
  ): tf.Tensor[] {
    const shape = param.shape;
    return this.run(
      [param, m, v, grad],
      [shape, shape, shape],
      ([p, m0, v0, g], [p1, m1, v1]) =>
        this.kernels.adam(
          { param: p, m: m0, v: v0, grad: g, paramOut: p1, mOut: m1, vOut: v1 },
          param.size,
          c,
        ),
    );
  }

  /** `source tau + target (1 - tau)`. */
  polyak(source: tf.Tensor, target: tf.Tensor, tau: number): tf.Tensor {
    return this.run(
      [source, target],
      [target.shape],
      ([s, t], [out]) => this.kernels.polyak(s, t, out, target.size, tau),
    )[0];
  }

  /** `x + bias` (then relu) for `x` of `shape` as {@link HeapKernels.biasAdd} takes it. */
  biasAdd(x: tf.Tensor, bias: tf.Tensor, shape: BiasShape, relu: boolean): tf.Tensor {
    return this.run(
      [x, bias],
      [x.shape],
      ([xo, b], [out]) => this.kernels.biasAdd(xo, b, out, shape, relu),
    )[0];
  }

  /** `relu(x + a)` (same sizes). */
  addRelu(x: tf.Tensor, a: tf.Tensor): tf.Tensor {
    return this.run(
      [x, a],
      [x.shape],
      ([xo, ao], [out]) => this.kernels.addRelu(xo, ao, out, x.size),
    )[0];
  }

  /** `dy * step(y)` (same sizes). */
  reluGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return this.run(
      [dy, y],
      [dy.shape],
      ([d, yo], [out]) => this.kernels.reluGrad(d, yo, out, dy.size),
    )[0];
  }
}

/**
 * The pieces further kernel modules are assembled from (see fused_kernels.ts): the encoder, the
 * lane arithmetic, the loops and the tanh approximation.
 */
export const wasmAssembly = {
  I32,
  F32,
  uleb,
  vec,
  name,
  section,
  localGet,
  localSet,
  i32Const,
  I32_SHL,
  SCALAR,
  lanesLoop,
  elementwiseFunction,
  rowwiseFunction,
  tanhOf,
};

/** Whether the wasm backend's `Tanh` is the SIMD kernel here ({@link registerWasmKernels}). */
export function wasmTanhRegistered(): boolean {
  return tanhRegistered;
}

/**
 * More fused kernels on the wasm backend's memory, assembled with core/wasm_kernels.ts's
 * pieces: the sum of squares that gradient-norm clipping takes of every gradient, tanh's
 * gradient from its output, and a dense layer's bias with tanh. Each does the tensor form's
 * float32 operations in the same order, so both give identical bits:
 *
 * - `sumSquares(x, n)`: `sum(square(x))` one element at a time from 0, as the backend's `Sum`
 *   accumulates (a sequential float32 sum: lanes would reorder it);
 * - `tanhGrad(dy, y, out, n)`: `(1 - y^2) dy`, tfjs's tanh gradient, four lanes at a time;
 * - `biasTanh(x, bias, out, groups, rows, cols)`: `tanh(x + bias)` with the SIMD tanh that
 *   {@link registerWasmKernels} puts in place of the backend's.
 */
import { tf } from "./tf.ts";
import {
  type AdamStepConstants,
  type HeapKernels,
  heapKernels,
  offsetOf,
  wasmAssembly as w,
  type WasmBackendInternals,
  wasmTanhRegistered,
} from "./wasm_kernels.ts";

// sumSquares(x, n) -> f32
function sumSquaresFunction() {
  const [X, N, I, END, S] = [0, 1, 2, 3, 4];
  const F32_LOAD = [0x2a, 2, 0];
  // deno-fmt-ignore
  const code = [
    ...w.vec([[1, w.I32], [1, w.I32], [1, w.F32]]),
    ...w.localGet(N), ...w.i32Const(2), ...w.I32_SHL, ...w.localSet(END),
    ...w.lanesLoop(w.SCALAR, I, END, [
      ...w.localGet(S),
      ...w.localGet(X), ...w.localGet(I), 0x6a, ...F32_LOAD,
      ...w.localGet(X), ...w.localGet(I), 0x6a, ...F32_LOAD,
      0x94, 0x92, // f32.mul, f32.add
      ...w.localSet(S),
    ]),
    ...w.localGet(S),
    0x0b,
  ];
  return {
    type: [0x60, ...w.vec([[w.I32], [w.I32]]), ...w.vec([[w.F32]])],
    code: [...w.uleb(code.length), ...code],
  };
}

// tanhGrad(dy, y, out, n): out = (1 - y y) dy
// deno-fmt-ignore
const TANH_GRAD = w.elementwiseFunction(3, 0, 1, (l, { at, tmp }) => [
  ...at(2),
  ...l.constant(1), ...at(1), ...l.load, ...w.localSet(tmp(0)),
  ...w.localGet(tmp(0)), ...w.localGet(tmp(0)), ...l.mul, ...l.sub,
  ...at(0), ...l.load, ...l.mul, ...l.store,
]);

// biasTanh(x, bias, out, groups, rows, cols): out = tanh(x + bias)
// deno-fmt-ignore
const BIAS_TANH = w.rowwiseFunction(2, (l, { at, tmp }) => [
  ...at(2), ...at(0), ...l.load, ...at(1), ...l.load, ...l.add, ...w.localSet(tmp(0)),
  ...w.tanhOf(l, tmp(0), tmp(1)), ...l.store,
]);

const NAMES = ["sumSquares", "tanhGrad", "biasTanh"];

/** The module's bytes: memory imported as `env.memory`, the kernels of NAMES exported. */
export function fusedModuleBytes(): Uint8Array {
  const functions = [sumSquaresFunction(), TANH_GRAD, BIAS_TANH];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...w.section(1, w.vec(functions.map((f) => f.type))),
    ...w.section(2, w.vec([[...w.name("env"), ...w.name("memory"), 0x02, 0x00, ...w.uleb(0)]])),
    ...w.section(3, w.vec(functions.map((_, i) => w.uleb(i)))),
    ...w.section(7, w.vec(NAMES.map((n, i) => [...w.name(n), 0x00, i]))),
    ...w.section(10, w.vec(functions.map((f) => f.code))),
  ]);
}

interface Exports {
  /** The first module's kernels on the same memory. */
  heap: HeapKernels;
  sumSquares(x: number, n: number): number;
  tanhGrad(dy: number, y: number, out: number, n: number): void;
  biasTanh(x: number, bias: number, out: number, groups: number, rows: number, cols: number): void;
}

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<object, Exports>();

function exportsOn(backend: WasmBackendInternals): Exports | null {
  const memory = backend.wasm.asm?.memory;
  // the first module's kernels load where these do (same memory, same SIMD)
  const heap = heapKernels(backend);
  if (!(memory instanceof WebAssembly.Memory) || !heap) return null;
  const cached = instances.get(memory);
  if (cached) return cached;
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(fusedModuleBytes() as BufferSource);
    } catch {
      compiled = null;
    }
  }
  if (compiled === null) return null;
  const instance = new WebAssembly.Instance(compiled, { env: { memory } });
  const exports = { ...instance.exports, heap } as unknown as Exports;
  instances.set(memory, exports);
  return exports;
}

/**
 * The kernels on the running wasm backend's float32 tensors (outputs are fresh tensors, not
 * recorded on a gradient tape), or null off the wasm backend or where the kernels do not load.
 */
export class FusedKernels {
  private constructor(
    private readonly backend: WasmBackendInternals,
    private readonly exports: Exports,
  ) {}

  private static cached: { backend: unknown; kernels: FusedKernels | null } | null = null;

  /** The kernels on the running backend (looked up once per backend instance). */
  static current(): FusedKernels | null {
    if (tf.getBackend() !== "wasm") return null;
    const backend = tf.backend() as unknown as WasmBackendInternals;
    if (FusedKernels.cached?.backend !== backend) {
      const exports = exportsOn(backend);
      FusedKernels.cached = { backend, kernels: exports && new FusedKernels(backend, exports) };
    }
    return FusedKernels.cached.kernels;
  }

  private offset(t: { dataId: unknown }): number {
    return offsetOf(this.backend, t);
  }

  private output(shape: number[], call: (out: number) => void): tf.Tensor {
    const info = this.backend.makeOutput(shape.slice(), "float32");
    call(this.offset(info));
    return tf.engine().makeTensorFromTensorInfo(info);
  }

  /**
   * One Adam step ({@link HeapKernels.adam}, the tensor form's bits) that writes the new
   * moments over `m` and `v`, which must be buffers only the optimiser holds, and returns the
   * new parameter as a fresh tensor (a parameter's buffer may be shared, e.g. by a target
   * network copied from it): one output in place of three, and no assignment of the moments.
   */
  adamInPlaceMoments(
    param: tf.Tensor,
    m: tf.Tensor,
    v: tf.Tensor,
    grad: tf.Tensor,
    c: AdamStepConstants,
  ): tf.Tensor {
    const [mo, vo] = [this.offset(m), this.offset(v)];
    return this.output(param.shape, (paramOut) => {
      const buffers = { param: this.offset(param), m: mo, v: vo, grad: this.offset(grad) };
      this.exports.heap.adam({ ...buffers, paramOut, mOut: mo, vOut: vo }, param.size, c);
    });
  }

  /** `sum(square(x))` as tf.sum(tf.square(x)) computes it, as a number. */
  sumSquares(x: tf.Tensor): number {
    return this.exports.sumSquares(this.offset(x), x.size);
  }

  /** `(1 - y^2) dy` (same sizes): tanh's gradient from its output `y`. */
  tanhGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return this.output(dy.shape, (out) => {
      this.exports.tanhGrad(this.offset(dy), this.offset(y), out, dy.size);
    });
  }

  /**
   * `tanh(x + bias)` for `groups` stacked `[rows, cols]` matrices and a `[groups, cols]` bias,
   * with tf.add's and the SIMD tanh's bits; null where the backend's `Tanh` is not the SIMD
   * kernel (its bits would differ).
   */
  biasTanh(
    x: tf.Tensor,
    bias: tf.Tensor,
    shape: { groups: number; rows: number; cols: number },
  ): tf.Tensor | null {
    if (!wasmTanhRegistered()) return null;
    const { groups, rows, cols } = shape;
    return this.output(x.shape, (out) => {
      this.exports.biasTanh(this.offset(x), this.offset(bias), out, groups, rows, cols);
    });
  }
}

/**
 * Networks, optimisers and their tensor math: the one module every algorithm trains through,
 * so the kernel path can change (fused ops, native BLAS) without touching any algorithm.
 */
import { tf } from "./tf.ts";
import { nativeMatMulEnabled } from "./blas.ts";
import { type AdamStepConstants, WasmTensorKernels } from "./wasm_kernels.ts";
import { silu } from "./fused_chain.ts";
import { customOp, tapeIsOn } from "./custom_op.ts";
import { FusedKernels } from "./fused_kernels.ts";
import type { Rng } from "../rng.ts";
import type { NamedArrays } from "../serialize.ts";
import type { OnnxGraph } from "./onnx.ts";

/** Hidden-layer activations the MLPs support. */
export const ACTIVATIONS = ["relu", "tanh", "silu", "gelu", "linear"] as const;
/** One of {@link ACTIVATIONS}. */
export type Activation = typeof ACTIVATIONS[number];

/**
 * `sum_d log(1 - t_d^2 + 1e-6)` per row for `t = tanh(u)`: the log-determinant of the squash's
 * Jacobian (without the Box scale), the correction from a latent's density to the squashed
 * action's; the 1e-6 keeps it finite at saturation, as CleanRL's SAC does.
 */
export function tanhLogDet(t: tf.Tensor): tf.Tensor1D {
  return tf.sum(tf.log(tf.add(tf.sub(1, tf.square(t)), 1e-6)), 1) as tf.Tensor1D;
}

/** Applies an activation function to a tensor. */
export function activate(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case "relu":
      return tf.relu(x);
    case "tanh":
      return tf.tanh(x);
    case "silu":
      return silu(x); // x * sigmoid(x); its gradient one fused pass on wasm (same bits)
    case "gelu": {
      // tanh approximation (Hendrycks & Gimpel): tfjs has no exact erf-based GELU kernel.
      const inner = tf.mul(tf.add(x, tf.mul(0.044715, tf.pow(x, 3))), Math.sqrt(2 / Math.PI));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    }
    case "linear":
      return x;
  }
}

/**
 * Whether matMul with transposed operands is as fast as a plain one on the running backend:
 * true everywhere but on tfjs-wasm's own kernel (7-14x slower there), which the native matMul
 * of core/blas.ts replaces.
 */
function transposedMatMulIsFast(): boolean {
  return tf.getBackend() !== "wasm" || nativeMatMulEnabled();
}

/** `a @ b` with either operand transposed, as is fastest on the running backend. */
function matMulT(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor2D {
  if (transposedMatMulIsFast()) return tf.matMul(a, b, transposeA, transposeB);
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

/**
 * `x @ w (+ b)` with a hand-written gradient. On tfjs-wasm's own matMul kernel it transposes
 * explicitly, since the default matMul gradient's transposed-operand matMuls run 7-14x slower
 * there; elsewhere it passes the transpose flags (an explicit transpose would be a wasted
 * copy). The bias gradient is `ones @ dy`, which is about ten times faster there than
 * `sum(dy, 0)`.
 *
 * With `weightGrads` false, the weight and bias gradients are returned as zeros without being
 * computed. Each input's gradient is computed only when the engine asks for it (an input on the
 * gradient's path), so a data input costs no product.
 */
function makeLinear(weightGrads: boolean, bias: boolean) {
  return (...inputs: tf.Tensor[]): tf.Tensor2D => {
    const [x, w, b] = inputs as tf.Tensor2D[];
    // A variable outlives the backward pass and keeps its value until the optimiser step
    // that follows it, so it is read there directly rather than kept for it.
    const wIsVariable = w instanceof tf.Variable;
    // one gradient function per input: the engine calls those of inputs on the gradient's
    // path only (none for a data input's), and what they read is held without a copy
    return customOp(
      bias ? { x, w, b } : { x, w },
      () => {
        const xw = tf.matMul(x, w);
        return { outputs: [bias ? addBias(xw, b) : xw], keep: wIsVariable ? [x] : [x, w] };
      },
      ([dy], [xs, kept]) => {
        const ws = (wIsVariable ? w : kept) as tf.Tensor2D;
        const g = dy as tf.Tensor2D;
        const grads: Record<string, () => tf.Tensor> = {
          x: () => matMulT(g, ws, false, true),
          w: () => (weightGrads ? matMulT(xs as tf.Tensor2D, g, true, false) : tf.zerosLike(ws)),
        };
        if (bias) {
          grads.b = () =>
            weightGrads
              ? tf.reshape(tf.matMul(tf.ones([1, g.shape[0]]) as tf.Tensor2D, g), [ws.shape[1]])
              : tf.zeros([ws.shape[1]]);
        }
        return grads;
      },
    )[0] as tf.Tensor2D;
  };
}

const LINEAR = {
  bias: makeLinear(true, true),
  biasInputGradOnly: makeLinear(false, true),
  noBias: makeLinear(true, false),
  noBiasInputGradOnly: makeLinear(false, false),
};

/**
 * `x @ w + b` (no bias when `b` is null) for a `[batch, in]` input and `[in, out]` weight, with
 * {@link Dense}'s gradient; `w` and `b` may be any tensors (a block of a layer's weight, a
 * per-step bias row). `weightGrads: false` returns zeros for the gradients of `w` and `b`.
 */
export function linear(
  x: tf.Tensor,
  w: tf.Tensor,
  b: tf.Tensor | null,
  weightGrads = true,
): tf.Tensor2D {
  if (b === null) return (weightGrads ? LINEAR.noBias : LINEAR.noBiasInputGradOnly)(x, w);
  return (weightGrads ? LINEAR.bias : LINEAR.biasInputGradOnly)(x, w, b);
}

/**
 * `a @ b` over a stack (rank 3, one operand may be a shared rank-2 matrix), either operand's
 * matrices transposed. On tfjs-wasm's own kernel, which is ~25x slower on a batch than on its
 * matrices one by one, the stack is split into 2-D products.
 */
function batchedMatMul(
  a: tf.Tensor,
  b: tf.Tensor,
  transposeA = false,
  transposeB = false,
): tf.Tensor {
  if (tf.getBackend() !== "wasm" || nativeMatMulEnabled()) {
    return tf.matMul(a, b, transposeA, transposeB);
  }
  const as = a.rank === 3 ? tf.unstack(a) : null;
  const bs = b.rank === 3 ? tf.unstack(b) : null;
  const n = (as ?? bs)!.length;
  const products = Array.from({ length: n }, (_, k) =>
    matMulT(
      (as ? as[k] : a) as tf.Tensor2D,
      (bs ? bs[k] : b) as tf.Tensor2D,
      transposeA,
      transposeB,
    ));
  return tf.stack(products);
}

function makeStackedLinear(
  weightGrads: boolean,
  inputGrad: boolean,
  bias: boolean,
  addend: boolean,
  activation: Activation,
) {
  return (...inputs: tf.Tensor[]): tf.Tensor3D => {
    const [x, w, ...rest] = inputs;
    // a variable weight is read directly in the backward pass (as in linear), not kept
    const wIsVariable = w instanceof tf.Variable;
    const named: Record<string, tf.Tensor> = { x, w };
    if (bias) named.b = rest[0];
    if (addend) named.addend = rest[bias ? 1 : 0];
    return customOp(
      named,
      () => {
        let value = batchedMatMul(x, w);
        // the bias first (fused on wasm), then the addend, then the activation: the addend
        // and a relu as one pass on wasm (tf.add's and tf.relu's bits)
        if (bias) value = addBias(value, rest[0]);
        const other = addend ? rest[bias ? 1 : 0] : null;
        const fused = other && activation === "relu" && value.dtype === "float32" &&
            other.dtype === "float32" && value.size === other.size
          ? WasmTensorKernels.current()
          : null;
        if (fused) value = fused.addRelu(value, other!);
        else value = activate(other ? tf.add(value, other) : value, activation);
        // the activation's gradient is taken from the output
        const keep = wIsVariable ? [x] : [x, w];
        return { outputs: [value], keep: activation === "linear" ? keep : [...keep, value] };
      },
      ([dy], kept) => {
        const xs = kept[0];
        const ws = (wIsVariable ? w : kept[1]) as tf.Tensor3D;
        const g =
          (activation === "linear"
            ? dy
            : activationGradFromOutput(dy, kept[kept.length - 1], activation)) as tf.Tensor3D;
        const [n, batch] = g.shape;
        // one function per input, called only for inputs on the gradient's path; a gradient
        // the caller ruled out is zeros (never computed when, as intended, it is not asked for)
        const grads: Record<string, () => tf.Tensor> = {
          x: () => {
            if (!inputGrad) return tf.zerosLike(xs);
            const dx = batchedMatMul(g, ws, false, true);
            if (xs.rank !== 2) return dx;
            // a shared input gets the sum over the stack: `ones @ dx`, one matMul
            const flat = tf.reshape(dx, [n, batch * ws.shape[1]]) as tf.Tensor2D;
            return tf.reshape(tf.matMul(tf.ones([1, n]) as tf.Tensor2D, flat), xs.shape);
          },
          w: () => (weightGrads ? batchedMatMul(xs, g, true, false) : tf.zerosLike(ws)),
        };
        if (bias) {
          grads.b = () =>
            weightGrads ? batchedMatMul(tf.ones([1, batch]), g) : tf.zeros([n, 1, ws.shape[2]]);
        }
        // the addend's gradient is dy itself (a reshape shares its buffer)
        if (addend) grads.addend = () => tf.reshape(g, g.shape);
        return grads;
      },
    )[0] as tf.Tensor3D;
  };
}
const STACKED_LINEAR = new Map<string, ReturnType<typeof makeStackedLinear>>();

/**
 * `n` dense layers of one shape as one batched product: `x @ w[i] + b[i]` for a `[n, in, out]`
 * weight and `[n, 1, out]` bias (none when `b` is null), on a `[n, batch, in]` input or on one
 * `[batch, in]` input that all of them share (whose gradient is then the sum over the stack).
 * Returns `[n, batch, out]`, plus `addend` (`[n, batch, out]`, e.g. another input block's
 * product) when given, inside the op: a separate add would save copies of both its inputs;
 * then `activation` (relu, tanh or linear, whose gradients come from the output; a relu after
 * an addend is one pass with it on wasm). `weightGrads: false` returns zeros for the gradients
 * of `w` and `b`, `inputGrad: false` zeros for that of `x` (when `x` is a constant, its
 * gradient is a wasted matMul).
 */
export function stackedLinear(
  x: tf.Tensor,
  w: tf.Tensor3D,
  b: tf.Tensor3D | null,
  options: {
    weightGrads?: boolean;
    inputGrad?: boolean;
    addend?: tf.Tensor3D;
    activation?: Activation;
  } = {},
): tf.Tensor3D {
  const weightGrads = options.weightGrads ?? true;
  const inputGrad = options.inputGrad ?? true;
  const addend = options.addend ?? null;
  const activation = options.activation ?? "linear";
  if (!OUTPUT_DERIVATIVE_ACTIVATIONS.includes(activation)) {
    throw new Error(
      `stackedLinear: activation '${activation}' is not one of ${OUTPUT_DERIVATIVE_ACTIVATIONS}`,
    );
  }
  const key = `${weightGrads}/${inputGrad}/${b !== null}/${addend !== null}/${activation}`;
  let op = STACKED_LINEAR.get(key);
  if (!op) {
    op = makeStackedLinear(weightGrads, inputGrad, b !== null, addend !== null, activation);
    STACKED_LINEAR.set(key, op);
  }
  const inputs = [x, w];
  if (b) inputs.push(b);
  if (addend) inputs.push(addend);
  return op(...inputs);
}

/**
 * Activations whose derivative is computed from the activation's output, so that the fused MLP
 * op and {@link stackedLinear} apply them inside (others run as separate ops).
 */
export const OUTPUT_DERIVATIVE_ACTIVATIONS: readonly Activation[] = ["relu", "tanh", "linear"];

/** `dy * f'(z)` for `y = f(z)`, from `y`: the same kernels and order as tfjs's own gradients. */
function activationGradFromOutput(dy: tf.Tensor, y: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case "relu":
      return reluGradFromOutput(dy, y); // y > 0 exactly where z > 0
    case "tanh": {
      // one fused pass on wasm (same bits), off a tape
      const fused = dy.dtype === "float32" && y.dtype === "float32" && dy.size === y.size &&
          !tapeIsOn()
        ? FusedKernels.current()
        : null;
      return fused ? fused.tanhGrad(dy, y) : tf.mul(tf.sub(1, tf.square(y)), dy);
    }
    default:
      return dy;
  }
}

/**
 * `product + bias`, then `activation`, for a layer's matMul output: `[batch, out]` with a
 * `[out]` bias or `[n, batch, out]` with `[n, 1, out]`. On the wasm backend the bias and a relu
 * are one fused pass (see core/wasm_kernels.ts), with the bits of tf.add and tf.relu; off a
 * gradient tape only (a custom op's forward pass, or inference), as the fused pass is not
 * recorded on one.
 */
function addBias(
  product: tf.Tensor,
  bias: tf.Tensor,
  activation: Activation = "linear",
): tf.Tensor {
  const fusable = (activation === "relu" || activation === "linear" || activation === "tanh") &&
    product.dtype === "float32" && bias.dtype === "float32" && product.rank >= 2 &&
    product.rank <= 3 && !tapeIsOn();
  const wasm = fusable ? WasmTensorKernels.current() : null;
  const cols = product.shape[product.rank - 1];
  const rows = product.shape[product.rank - 2];
  const groups = product.rank === 3 ? product.shape[0] : 1;
  if (!wasm || bias.size !== groups * cols || bias.shape[bias.rank - 1] !== cols) {
    return activate(tf.add(product, bias), activation);
  }
  if (activation === "tanh") {
    const fused = FusedKernels.current()?.biasTanh(product, bias, { groups, rows, cols });
    return fused ?? tf.tanh(wasm.biasAdd(product, bias, { groups, rows, cols }, false));
  }
  return wasm.biasAdd(product, bias, { groups, rows, cols }, activation === "relu");
}

/** `dy * step(y)`: relu's gradient from its output; one fused pass on wasm, off a tape. */
function reluGradFromOutput(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const fusable = dy.dtype === "float32" && y.dtype === "float32" && dy.size === y.size &&
    !tapeIsOn();
  const wasm = fusable ? WasmTensorKernels.current() : null;
  return wasm ? wasm.reluGrad(dy, y) : tf.mul(dy, tf.step(y));
}

/**
 * A whole MLP (`x @ w0 + b0`, activation, ..., `h @ wL + bL`) as one custom op, plain (`[batch,
 * in]` input, `[in, out]` weights, `[out]` biases) or stacked (`[n, in, out]` weights, `[n, 1,
 * out]` biases, on a `[n, batch, in]` input or a shared `[batch, in]` one). Against a chain of
 * per-layer ops it saves, under a gradient tape, every copy of a saved tensor (the input and
 * the hidden activations are held as they are, see {@link customOp}) and the activations' own
 * gradient kernels. The weights must be variables (read directly in the backward pass, as in
 * {@link linear}). `weightGrads: false` skips the weights' and biases' gradients, `inputGrad:
 * false` that of `x` (zeros, should the engine ask for them). `activateInput`: the activation
 * is applied to `x` first (a hidden layer's pre-activation computed outside).
 */
function makeMlpOp(
  activation: Activation,
  stacked: boolean,
  weightGrads: boolean,
  inputGrad: boolean,
  activateInput: boolean,
): (x: tf.Tensor, params: tf.Tensor[]) => tf.Tensor {
  const mm = (a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor =>
    stacked ? batchedMatMul(a, b, ta, tb) : matMulT(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb);
  return (x, params) => {
    const last = params.length / 2 - 1;
    const named: Record<string, tf.Tensor> = { x };
    params.forEach((p, i) => named[`p${i}`] = p);
    return customOp(
      named,
      () => {
        let h = activateInput ? activate(x, activation) : x;
        // each layer's input: the (activated) x, then the hidden activations
        const inputs: tf.Tensor[] = [h];
        for (let i = 0; i <= last; i++) {
          const w = params[2 * i];
          const product = stacked ? batchedMatMul(h, w) : tf.matMul(h as tf.Tensor2D, w);
          h = addBias(product, params[2 * i + 1], i === last ? "linear" : activation);
          if (i !== last) inputs.push(h);
        }
        return { outputs: [h], keep: inputs };
      },
      ([dy], inputs) => {
        // the whole backward pass at once (each layer's gradient feeds the next), computing
        // only what the caller asked for: weight gradients and the input's
        const grads: (tf.Tensor | undefined)[] = new Array(params.length + 1);
        let g = dy;
        for (let i = last; i >= 0; i--) {
          const w = params[2 * i];
          if (weightGrads) {
            const batch = g.shape[g.rank - 2];
            const ones = tf.ones([1, batch]);
            grads[2 * i + 1] = mm(inputs[i], g, true, false);
            grads[2 * i + 2] = stacked ? batchedMatMul(ones, g) : tf.reshape(
              tf.matMul(ones as tf.Tensor2D, g as tf.Tensor2D),
              params[2 * i + 1].shape,
            );
          }
          if (i > 0) {
            g = activationGradFromOutput(mm(g, w, false, true), inputs[i], activation);
          } else if (inputGrad) {
            let dx = mm(g, w, false, true);
            if (stacked && x.rank === 2) {
              // a shared input gets the sum over the stack: `ones @ dx`, one matMul
              const n = dx.shape[0];
              const flat = tf.reshape(dx, [n, dx.size / n]) as tf.Tensor2D;
              dx = tf.reshape(tf.matMul(tf.ones([1, n]) as tf.Tensor2D, flat), x.shape);
            }
            grads[0] = activateInput ? activationGradFromOutput(dx, inputs[0], activation) : dx;
          }
        }
        // a gradient the caller ruled out is zeros, made only if the engine asks for it
        const of = (k: number, input: tf.Tensor) => () => grads[k] ?? tf.zerosLike(input);
        const out: Record<string, () => tf.Tensor> = { x: of(0, x) };
        params.forEach((p, i) => out[`p${i}`] = of(i + 1, p));
        return out;
      },
    )[0];
  };
}

const MLP_OPS = new Map<string, ReturnType<typeof makeMlpOp>>();

/**
 * Applies an MLP given as its weights and biases (variables, layer by layer) with
 * {@link makeMlpOp}'s fused op when `activation` allows it; null when it does not.
 */
function mlpForward(
  x: tf.Tensor,
  params: tf.Variable[],
  activation: Activation,
  options: { stacked: boolean; weightGrads: boolean; inputGrad: boolean; activateInput?: boolean },
): tf.Tensor | null {
  if (!OUTPUT_DERIVATIVE_ACTIVATIONS.includes(activation)) return null;
  const { stacked, weightGrads, inputGrad } = options;
  const activateInput = options.activateInput ?? false;
  const key = `${activation}/${stacked}/${weightGrads}/${inputGrad}/${activateInput}`;
  let op = MLP_OPS.get(key);
  if (!op) {
    op = makeMlpOp(activation, stacked, weightGrads, inputGrad, activateInput);
    MLP_OPS.set(key, op);
  }
  return op(x, params);
}

/**
 * `n` MLPs of one shape held as stacked layers (per layer a `[n, in, out]` weight variable and
 * a `[n, 1, out]` bias variable, in `params` layer by layer) on a `[n, batch, in]` input or
 * one shared `[batch, in]` input: `[n, batch, out]`. Relu, tanh and linear networks run as
 * one fused op, others layer by layer with {@link stackedLinear}; `weightGrads` and
 * `inputGrad` as there (`inputGrad` for the input of the first layer). `activateInput`: `x`
 * is the pre-activation of a hidden layer computed outside, which the activation is applied
 * to first (inside the fused op, whose gradient is then that of `x`).
 */
export function stackedMlp(
  x: tf.Tensor,
  params: tf.Variable[],
  activation: Activation,
  options: { weightGrads?: boolean; inputGrad?: boolean; activateInput?: boolean } = {},
): tf.Tensor3D {
  const weightGrads = options.weightGrads ?? true;
  const inputGrad = options.inputGrad ?? true;
  const activateInput = options.activateInput ?? false;
  const fused = mlpForward(x, params, activation, {
    stacked: true,
    weightGrads,
    inputGrad,
    activateInput,
  });
  if (fused) return fused as tf.Tensor3D;
  let h: tf.Tensor = activateInput ? activate(x, activation) : x;
  const last = params.length / 2 - 1;
  for (let i = 0; i <= last; i++) {
    const w = params[2 * i] as tf.Tensor3D;
    const b = params[2 * i + 1] as tf.Tensor3D;
    h = stackedLinear(h, w, b, { weightGrads, inputGrad: i > 0 || inputGrad });
    if (i < last) h = activate(h, activation);
  }
  return h as tf.Tensor3D;
}

/** Weight initialisation schemes. */
export type Init =
  | { kind: "torch" }
  | { kind: "orthogonal"; gain: number }
  | { kind: "uniform"; scale: number };

/** A dense layer `y = x W + b` with variables owned by the layer. */
export class Dense {
  readonly w: tf.Variable;
  readonly b: tf.Variable;
  readonly inputs: number;
  readonly outputs: number;

  /** Creates the layer with weights drawn from `rng` according to `init`. */
  constructor(inputs: number, outputs: number, rng: Rng, init: Init = { kind: "torch" }) {
    this.inputs = inputs;
    this.outputs = outputs;
    const w = initWeights(inputs, outputs, rng, init);
    const b = new Float32Array(outputs);
    if (init.kind === "torch") {
      const bound = 1 / Math.sqrt(inputs);
      for (let i = 0; i < outputs; i++) b[i] = rng.uniformRange(-bound, bound);
    } else if (init.kind === "uniform") {
      for (let i = 0; i < outputs; i++) b[i] = rng.uniformRange(-init.scale, init.scale);
    }
    this.w = tf.variable(tf.tensor2d(w, [inputs, outputs]));
    this.b = tf.variable(tf.tensor1d(b));
  }

  /**
   * Applies the layer to a `[batch, inputs]` tensor. `weightGrads: false` skips the weight
   * gradients (they come back as zeros) when only the gradient with respect to x is wanted.
   */
  apply(x: tf.Tensor, weightGrads = true): tf.Tensor2D {
    return linear(x, this.w, this.b, weightGrads);
  }

  /** The layer's variables. */
  variables(): tf.Variable[] {
    return [this.w, this.b];
  }
}

function initWeights(inputs: number, outputs: number, rng: Rng, init: Init): Float32Array {
  const w = new Float32Array(inputs * outputs);
  if (init.kind === "torch") {
    // PyTorch's nn.Linear default (kaiming_uniform with a=sqrt(5)): U(-1/sqrt(in), 1/sqrt(in)).
    const bound = 1 / Math.sqrt(inputs);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniformRange(-bound, bound);
  } else if (init.kind === "uniform") {
    for (let i = 0; i < w.length; i++) w[i] = rng.uniformRange(-init.scale, init.scale);
  } else {
    w.set(orthogonal(inputs, outputs, rng, init.gain));
  }
  return w;
}

/**
 * A `rows x cols` matrix with orthonormal rows or columns (whichever are fewer), times `gain`:
 * Gram-Schmidt on a Gaussian matrix, as torch.nn.init.orthogonal_ does with QR.
 */
export function orthogonal(rows: number, cols: number, rng: Rng, gain: number): Float32Array {
  const out = new Float32Array(rows * cols);
  if (gain === 0) return out;
  const transpose = rows < cols;
  const n = transpose ? cols : rows; // long side
  const m = transpose ? rows : cols; // vectors to orthonormalise
  const vecs: Float64Array[] = [];
  for (let j = 0; j < m; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal();
    for (const u of vecs) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += u[i] * v[i];
      for (let i = 0; i < n; i++) v[i] -= dot * u[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) v[i] /= norm;
    vecs.push(v);
  }
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) {
      const [r, c] = transpose ? [j, i] : [i, j];
      out[r * cols + c] = gain * vecs[j][i];
    }
  }
  return out;
}

/** Options of {@link Mlp}. */
export interface MlpOptions {
  hidden: number[];
  activation: Activation;
  /** Init of hidden layers (default torch). */
  hiddenInit?: Init;
  /** Init of the output layer (default torch). */
  outputInit?: Init;
}

/** A multi-layer perceptron: hidden dense layers with an activation, then a linear output. */
export class Mlp {
  readonly layers: Dense[];
  readonly activation: Activation;

  /** Builds `inputs -> hidden... -> outputs`. */
  constructor(inputs: number, outputs: number, rng: Rng, options: MlpOptions) {
    this.activation = options.activation;
    const sizes = [inputs, ...options.hidden, outputs];
    this.layers = [];
    for (let i = 0; i < sizes.length - 1; i++) {
      const last = i === sizes.length - 2;
      const init = last ? options.outputInit : options.hiddenInit;
      this.layers.push(new Dense(sizes[i], sizes[i + 1], rng, init ?? { kind: "torch" }));
    }
  }

  /**
   * Forward pass on `[batch, inputs]`; see {@link Dense.apply} for `weightGrads`. `fromLayer`
   * skips leading layers: `x` is then the (activated) input of that layer, when the caller
   * computed the first ones itself. `inputGrad: false` returns zeros for the gradient with
   * respect to `x` without computing it (when `x` is data), where the network runs as one
   * fused op (relu, tanh and linear activations).
   */
  apply(x: tf.Tensor, weightGrads = true, fromLayer = 0, inputGrad = true): tf.Tensor2D {
    const params = this.layers.slice(fromLayer).flatMap((l) => l.variables());
    const options = { stacked: false, weightGrads, inputGrad };
    const fused = mlpForward(x, params, this.activation, options);
    if (fused) return fused as tf.Tensor2D;
    let h: tf.Tensor = x;
    for (let i = fromLayer; i < this.layers.length; i++) {
      h = this.layers[i].apply(h, weightGrads);
      if (i < this.layers.length - 1) h = activate(h, this.activation);
    }
    return h as tf.Tensor2D;
  }

  /** All variables, layer by layer (w then b). */
  variables(): tf.Variable[] {
    return this.layers.flatMap((l) => l.variables());
  }

  /**
   * Adds the network to an ONNX graph with its current weights as constants; `fromLayer`
   * skips leading layers (when the caller built the first one itself).
   */
  buildOnnx(graph: OnnxGraph, x: string, fromLayer = 0): string {
    let h = x;
    for (let i = fromLayer; i < this.layers.length; i++) {
      const layer = this.layers[i];
      h = graph.dense(h, layer.w.dataSync(), layer.b.dataSync(), layer.inputs, layer.outputs);
      if (i < this.layers.length - 1) h = graph.activation(h, this.activation);
    }
    return h;
  }
}

/** Reads variables into plain arrays under `prefix/i` names. */
export function exportVariables(prefix: string, vars: tf.Variable[]): NamedArrays {
  const out: NamedArrays = {};
  vars.forEach((v, i) => {
    out[`${prefix}/${i}`] = { shape: v.shape.slice(), data: v.dataSync() as Float32Array };
  });
  return out;
}

/** Assigns arrays written by {@link exportVariables}, checking names and shapes. */
export function importVariables(prefix: string, vars: tf.Variable[], arrays: NamedArrays): void {
  vars.forEach((v, i) => {
    const entry = arrays[`${prefix}/${i}`];
    if (!entry) throw new Error(`weights: missing '${prefix}/${i}'`);
    if (entry.shape.join("x") !== v.shape.join("x")) {
      throw new Error(
        `weights: '${prefix}/${i}' has shape [${entry.shape}], expected [${v.shape}]`,
      );
    }
    v.assign(tf.tensor(entry.data, v.shape));
  });
}

/** `target <- tau * source + (1 - tau) * target`, variable by variable. */
export function polyakUpdate(target: tf.Variable[], source: tf.Variable[], tau: number): void {
  const wasm = WasmTensorKernels.current();
  tf.tidy(() => {
    for (let i = 0; i < target.length; i++) {
      // one fused pass on wasm, the same bits as the tensor form
      const fused = wasm && target[i].dtype === "float32" && source[i].dtype === "float32";
      target[i].assign(
        fused
          ? wasm.polyak(source[i], target[i], tau)
          : tf.add(tf.mul(source[i], tau), tf.mul(target[i], 1 - tau)),
      );
    }
  });
}

/** Copies source variables into target variables. */
export function copyVariables(target: tf.Variable[], source: tf.Variable[]): void {
  for (let i = 0; i < target.length; i++) target[i].assign(source[i]);
}

/** A tensor of `shape` filled row-major with standard normal draws from `rng`. */
export function normalTensor(rng: Rng, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.fillNormal(new Float32Array(size)), shape);
}

/** Options of {@link Adam}. */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Clip the global gradient norm to this value (PPO's max_grad_norm); off when undefined. */
  maxGradNorm?: number;
}

/**
 * Adam (Kingma & Ba) with PyTorch's update rule, over an explicit variable list. Its moments
 * and step count are plain state, so checkpoints restore it exactly.
 */
export class Adam {
  readonly vars: tf.Variable[];
  lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly maxGradNorm?: number;
  private m: tf.Variable[];
  private v: tf.Variable[];
  private t = 0;

  /** Creates zeroed moments for `vars`. */
  constructor(vars: tf.Variable[], options: AdamOptions) {
    this.vars = vars;
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.maxGradNorm = options.maxGradNorm;
    this.m = vars.map((v) => tf.variable(tf.zerosLike(v), false));
    this.v = vars.map((v) => tf.variable(tf.zerosLike(v), false));
  }

  /**
   * Computes `loss()` and its gradients with respect to this optimiser's variables, applies one
   * Adam step, and returns the loss value.
   */
  minimize(loss: () => tf.Scalar): number {
    const { value, grads } = tf.variableGrads(loss, this.vars);
    const lossValue = value.dataSync()[0];
    this.applyGradients(this.vars.map((v) => grads[v.name]));
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    return lossValue;
  }

  /** Applies one Adam step with the given gradients (same order as `vars`). */
  applyGradients(grads: tf.Tensor[]): void {
    this.t += 1;
    const { beta1, beta2, eps, t } = this;
    const stepSize = this.lr / (1 - beta1 ** t);
    const bias2 = Math.sqrt(1 - beta2 ** t);
    tf.tidy(() => {
      let scale: tf.Scalar | number = 1;
      if (this.maxGradNorm !== undefined) {
        scale = clipScale(grads, this.maxGradNorm) ??
          tf.minimum(
            1,
            tf.div(
              this.maxGradNorm,
              tf.add(tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))), 1e-6),
            ),
          ) as tf.Scalar;
      }
      // on wasm, one fused pass per variable in place of the dozen kernels below (same bits);
      // a fresh parameter tensor is assigned, since a variable's buffer may be shared (a target
      // network copied from this one) and the wasm backend caches packed weights by tensor (an
      // in-place write would go unseen by its own matMul), while the moments, this optimiser's
      // own and never a matMul operand, are updated in place
      const wasm = FusedKernels.current();
      let consts: AdamStepConstants | null = null;
      for (let i = 0; i < this.vars.length; i++) {
        if (wasm && this.vars[i].dtype === "float32" && grads[i].dtype === "float32") {
          consts ??= {
            beta1,
            beta2,
            eps,
            stepSize,
            bias2,
            scale: typeof scale === "number" ? scale : scale.dataSync()[0],
          };
          const { m, v } = this;
          this.vars[i].assign(wasm.adamInPlaceMoments(this.vars[i], m[i], v[i], grads[i], consts));
          continue;
        }
        const g = scale === 1 ? grads[i] : tf.mul(grads[i], scale);
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), bias2), eps);
        this.vars[i].assign(tf.sub(this.vars[i], tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  /** Optimiser state for checkpoints. */
  state(): { t: number; lr: number; m: Float32Array[]; v: Float32Array[] } {
    return {
      t: this.t,
      lr: this.lr,
      m: this.m.map((x) => x.dataSync() as Float32Array),
      v: this.v.map((x) => x.dataSync() as Float32Array),
    };
  }

  /** Restores {@link Adam.state}'s output. */
  load(state: { t: number; lr: number; m: Float32Array[]; v: Float32Array[] }): void {
    if (state.m.length !== this.m.length) {
      throw new Error(`optimizer state has ${state.m.length} slots, expected ${this.m.length}`);
    }
    this.t = state.t;
    this.lr = state.lr;
    this.m.forEach((x, i) => x.assign(tf.tensor(state.m[i], x.shape)));
    this.v.forEach((x, i) => x.assign(tf.tensor(state.v[i], x.shape)));
  }

  /** Frees the moment tensors. */
  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}

/**
 * `min(1, maxNorm / (|grads| + 1e-6))`, the gradient-norm clip's scale, computed on wasm in one
 * pass per gradient with the bits of the tensor form (`addN` of `sum(square(g))`, then `sqrt`,
 * `add`, `div`, `minimum`, all float32); null off wasm or when the norm is not finite (the
 * tensor form then says what the scale is).
 */
function clipScale(grads: tf.Tensor[], maxNorm: number): number | null {
  const fused = FusedKernels.current();
  if (!fused || grads.some((g) => g.dtype !== "float32")) return null;
  const f = Math.fround;
  let sq = 0;
  for (const g of grads) sq = f(sq + fused.sumSquares(g));
  if (!Number.isFinite(sq)) return null;
  return Math.min(1, f(f(maxNorm) / f(f(Math.sqrt(sq)) + f(1e-6))));
}

/** Disposes variables. */
export function disposeVariables(vars: tf.Variable[]): void {
  for (const v of vars) v.dispose();
}

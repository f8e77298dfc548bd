import assert from "node:assert/strict";
import { tf } from "../../../core/tensor/tf.ts";
import { useBackend } from "../../../core/tensor/backend.ts";
import { Rng } from "../../../core/rng.ts";
import {
  activate,
  type Activation,
  ACTIVATIONS,
  Adam,
  copyVariables,
  Dense,
  exportVariables,
  importVariables,
  Mlp,
  orthogonal,
  polyakUpdate,
  stackedMlp,
} from "../../../core/tensor/nn.ts";

await useBackend("wasm");

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

function randomArray(rng: Rng, n: number, scale = 1): number[] {
  return Array.from({ length: n }, () => scale * rng.normal());
}

function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    assert.ok(
      Math.abs(a - e) <= atol + rtol * Math.abs(e),
      `${what}[${i}]: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`,
    );
  }
}

/** Central differences of `f` at `x` in every coordinate. */
function numericGrad(f: (x: number[]) => number, x: number[], eps: number): number[] {
  return x.map((_, i) => {
    const p = x.slice();
    const m = x.slice();
    p[i] += eps;
    m[i] -= eps;
    return (f(p) - f(m)) / (2 * eps);
  });
}

/** GELU with the exact erf. */
const exactGelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

/** Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7), enough to compare GELU's tanh approximation. */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 -
    (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t +
        0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

/** The activations in float64, from their textbook formulas. */
function activation64(x: number, a: Activation): number {
  switch (a) {
    case "relu":
      return Math.max(0, x);
    case "tanh":
      return Math.tanh(x);
    case "silu":
      return x / (1 + Math.exp(-x));
    case "gelu":
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    case "linear":
      return x;
  }
}

Deno.test("nn: backend is wasm", () => {
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test("activate: gelu and silu match their formulas; relu, tanh, linear too", () => {
  const xs = [-6, -3, -1.5, -0.5, -0.01, 0, 0.01, 0.3, 1, 2.5, 5];
  for (const a of ACTIVATIONS) {
    const got = tf.tidy(() => values(activate(tf.tensor1d(xs), a)));
    assertAllClose(got, xs.map((x) => activation64(x, a)), 1e-5, 1e-6, a);
  }
  // The tanh GELU is within 1e-3 of the exact erf GELU.
  const gelu = tf.tidy(() => values(activate(tf.tensor1d(xs), "gelu")));
  assertAllClose(gelu, xs.map(exactGelu), 0, 1e-3, "gelu vs erf gelu");
  // Spot values: silu(1) = 1 / (1 + e^-1); gelu(1) (tanh form) = 0.8411919906.
  const spot = tf.tidy(() => [
    values(activate(tf.scalar(1), "silu"))[0],
    values(activate(tf.scalar(1), "gelu"))[0],
  ]);
  assertAllClose(spot, [0.7310585786, 0.8411919906], 1e-6, 0, "spot values");
});

Deno.test("Dense: forward is x W + b", () => {
  const rng = new Rng(10);
  const layer = new Dense(3, 4, rng);
  const x = randomArray(rng, 6);
  const w = values(layer.w);
  const b = values(layer.b);
  const y = tf.tidy(() => values(layer.apply(tf.tensor2d(x, [2, 3]))));
  const expected: number[] = [];
  for (let r = 0; r < 2; r++) {
    for (let j = 0; j < 4; j++) {
      let s = b[j];
      for (let i = 0; i < 3; i++) s += x[r * 3 + i] * w[i * 4 + j];
      expected.push(s);
    }
  }
  assertAllClose(y, expected, 1e-5, 1e-6, "dense forward");
  assert.deepEqual(layer.w.shape, [3, 4]);
  assert.deepEqual(layer.b.shape, [4]);
  layer.variables().forEach((v) => v.dispose());
});

for (const [inputs, outputs] of [[3, 4], [4, 4], [5, 2]] as const) {
  Deno.test(`Dense ${inputs}->${outputs}: custom gradient equals float32 finite differences`, () => {
    const rng = new Rng(100 + inputs * 10 + outputs);
    const layer = new Dense(inputs, outputs, rng);
    const batch = 3;
    const x0 = randomArray(rng, batch * inputs);
    const lossOf = (x: tf.Tensor) => tf.sum(tf.square(tf.tanh(layer.apply(x)))) as tf.Scalar;

    const analytic = tf.tidy(() => {
      const x = tf.tensor2d(x0, [batch, inputs]);
      const { grads } = tf.variableGrads(() => lossOf(x), [layer.w, layer.b]);
      const dx = tf.grad((xt: tf.Tensor) => lossOf(xt))(x);
      return { w: values(grads[layer.w.name]), b: values(grads[layer.b.name]), x: values(dx) };
    });

    const eps = 1e-2;
    const lossAt = (xv: number[], wv: number[], bv: number[]) =>
      tf.tidy(() => {
        layer.w.assign(tf.tensor2d(wv, [inputs, outputs]));
        layer.b.assign(tf.tensor1d(bv));
        return values(lossOf(tf.tensor2d(xv, [batch, inputs])))[0];
      });
    const w0 = values(layer.w);
    const b0 = values(layer.b);
    const fdW = numericGrad((w) => lossAt(x0, w, b0), w0, eps);
    const fdB = numericGrad((b) => lossAt(x0, w0, b), b0, eps);
    const fdX = numericGrad((x) => lossAt(x, w0, b0), x0, eps);
    assertAllClose(analytic.w, fdW, 1e-2, 1e-3, "dL/dw");
    assertAllClose(analytic.b, fdB, 1e-2, 1e-3, "dL/db");
    assertAllClose(analytic.x, fdX, 1e-2, 1e-3, "dL/dx");
    // The gradients are not trivially zero.
    assert.ok(analytic.w.some((g) => Math.abs(g) > 1e-2));
    layer.variables().forEach((v) => v.dispose());
  });
}

Deno.test("Dense/Mlp apply(x, false): same value and input gradient, zero weight gradients", () => {
  const rng = new Rng(21);
  const layer = new Dense(3, 4, rng);
  const mlp = new Mlp(3, 2, rng, { hidden: [5], activation: "tanh" });
  const x = tf.tensor2d(randomArray(rng, 6), [2, 3]);
  for (
    const [name, f, vars] of [
      ["Dense", (xt: tf.Tensor, wg: boolean) => layer.apply(xt, wg), layer.variables()],
      ["Mlp", (xt: tf.Tensor, wg: boolean) => mlp.apply(xt, wg), mlp.variables()],
    ] as const
  ) {
    const lossOf = (xt: tf.Tensor, wg: boolean) =>
      tf.sum(tf.square(tf.tanh(f(xt, wg)))) as tf.Scalar;
    tf.tidy(() => {
      assert.deepEqual(values(f(x, false)), values(f(x, true)), `${name} value`);
      const full = values(tf.grad((xt: tf.Tensor) => lossOf(xt, true))(x));
      const inputOnly = values(tf.grad((xt: tf.Tensor) => lossOf(xt, false))(x));
      assertAllClose(inputOnly, full, 1e-6, 1e-7, `${name} dL/dx`);
      const { grads } = tf.variableGrads(() => lossOf(x, false), [...vars]);
      for (const v of vars) {
        assert.deepEqual(grads[v.name].shape, v.shape, `${name} grad shape`);
        assert.ok(values(grads[v.name]).every((g) => g === 0), `${name} weight grads not zero`);
      }
      const withGrads = tf.variableGrads(() => lossOf(x, true), [...vars]).grads;
      assert.ok(values(withGrads[vars[0].name]).some((g) => g !== 0));
    });
  }
  x.dispose();
  [...layer.variables(), ...mlp.variables()].forEach((v) => v.dispose());
});

/** A float64 re-implementation of Mlp.apply from the exported weights. */
function mlpForward64(
  mlp: Mlp,
  params: number[][],
  x: number[],
  batch: number,
): number[] {
  let h = x;
  let width = mlp.layers[0].inputs;
  mlp.layers.forEach((layer, li) => {
    const w = params[2 * li];
    const b = params[2 * li + 1];
    const out = new Array(batch * layer.outputs).fill(0);
    for (let r = 0; r < batch; r++) {
      for (let j = 0; j < layer.outputs; j++) {
        let s = b[j];
        for (let i = 0; i < width; i++) s += h[r * width + i] * w[i * layer.outputs + j];
        out[r * layer.outputs + j] = li < mlp.layers.length - 1
          ? activation64(s, mlp.activation)
          : s;
      }
    }
    h = out;
    width = layer.outputs;
  });
  return h;
}

for (const activation of ACTIVATIONS) {
  Deno.test(`Mlp (${activation}): gradients equal finite differences`, () => {
    const rng = new Rng(7);
    const mlp = new Mlp(3, 2, rng, { hidden: [5, 4], activation });
    const batch = 3;
    const x0 = randomArray(rng, batch * 3);
    const vars = mlp.variables();
    assert.equal(vars.length, 6);
    const params = vars.map(values);

    const loss64 = (p: number[][], x: number[]) =>
      mlpForward64(mlp, p, x, batch).reduce((s, y) => s + Math.tanh(y) ** 2, 0);
    const lossOf = (x: tf.Tensor) => tf.sum(tf.square(tf.tanh(mlp.apply(x)))) as tf.Scalar;

    const analytic = tf.tidy(() => {
      const x = tf.tensor2d(x0, [batch, 3]);
      // The float32 forward pass agrees with the float64 formulas.
      assertAllClose(
        values(mlp.apply(x)),
        mlpForward64(mlp, params, x0, batch),
        1e-4,
        1e-5,
        "forward",
      );
      const { value, grads } = tf.variableGrads(() => lossOf(x), vars);
      assertAllClose([values(value)[0]], [loss64(params, x0)], 1e-4, 1e-5, "loss");
      return {
        vars: vars.map((v) => values(grads[v.name])),
        x: values(tf.grad((xt: tf.Tensor) => lossOf(xt))(x)),
      };
    });

    // Float64 central differences of the reference model (eps small, so relu kinks are
    // practically never straddled).
    const eps = 1e-6;
    params.forEach((p, k) => {
      const fd = numericGrad((q) => loss64(params.map((o, j) => (j === k ? q : o)), x0), p, eps);
      assertAllClose(analytic.vars[k], fd, 2e-3, 2e-4, `${activation} dL/dvar${k}`);
    });
    const fdX = numericGrad((x) => loss64(params, x), x0, eps);
    assertAllClose(analytic.x, fdX, 2e-3, 2e-4, `${activation} dL/dx`);
    assert.ok(analytic.vars[0].some((g) => Math.abs(g) > 1e-3), "first-layer grads all ~0");
    vars.forEach((v) => v.dispose());
  });
}

Deno.test("Mlp: equal seeds give equal weights, torch init bounds", () => {
  const a = new Mlp(4, 2, new Rng(3), { hidden: [8], activation: "relu" });
  const b = new Mlp(4, 2, new Rng(3), { hidden: [8], activation: "relu" });
  const c = new Mlp(4, 2, new Rng(4), { hidden: [8], activation: "relu" });
  const va = a.variables().map(values);
  assert.deepEqual(va, b.variables().map(values));
  assert.notDeepEqual(va, c.variables().map(values));
  // torch init: U(-1/sqrt(in), 1/sqrt(in)) for w and b.
  for (const [k, bound] of [[0, 0.5], [1, 0.5], [2, 1 / Math.sqrt(8)], [3, 1 / Math.sqrt(8)]]) {
    assert.ok(va[k].every((v) => Math.abs(v) <= bound + 1e-7), `var ${k} outside +-${bound}`);
  }
  [a, b, c].forEach((m) => m.variables().forEach((v) => v.dispose()));
});

Deno.test("orthogonal: orthonormal columns (or rows) times gain", () => {
  const cases: [number, number, number][] = [[6, 3, 1], [3, 6, Math.SQRT2], [4, 4, 0.01], [
    5,
    1,
    2,
  ], [1, 5, 1]];
  for (const [rows, cols, gain] of cases) {
    const w = orthogonal(rows, cols, new Rng(rows * 7 + cols), gain);
    assert.equal(w.length, rows * cols);
    const m = Math.min(rows, cols);
    // Gram matrix of the short side's vectors.
    for (let p = 0; p < m; p++) {
      for (let q = 0; q < m; q++) {
        let dot = 0;
        if (rows >= cols) {
          for (let i = 0; i < rows; i++) dot += w[i * cols + p] * w[i * cols + q];
        } else for (let j = 0; j < cols; j++) dot += w[p * cols + j] * w[q * cols + j];
        const expected = p === q ? gain * gain : 0;
        assert.ok(
          Math.abs(dot - expected) < 1e-5 * Math.max(1, gain * gain),
          `${rows}x${cols} gain ${gain}: gram[${p}][${q}] = ${dot}, expected ${expected}`,
        );
      }
    }
  }
  assert.ok(orthogonal(3, 2, new Rng(0), 0).every((v) => v === 0));
  // Deterministic in the generator.
  assert.deepEqual(orthogonal(4, 3, new Rng(9), 1), orthogonal(4, 3, new Rng(9), 1));
});

Deno.test("Dense with orthogonal init uses orthogonal weights and zero bias", () => {
  const layer = new Dense(6, 3, new Rng(1), { kind: "orthogonal", gain: 2 });
  assert.deepEqual(values(layer.b), [0, 0, 0]);
  assertAllClose(values(layer.w), orthogonal(6, 3, new Rng(1), 2), 1e-6, 1e-7, "w");
  layer.variables().forEach((v) => v.dispose());
});

/** PyTorch's Adam in float64 (with torch.nn.utils.clip_grad_norm_ when maxGradNorm is set). */
function adamReference(
  params: number[][],
  gradSteps: number[][][],
  o: { lr: number; beta1: number; beta2: number; eps: number; maxGradNorm?: number },
): number[][] {
  const p = params.map((x) => x.slice());
  const m = params.map((x) => x.map(() => 0));
  const v = params.map((x) => x.map(() => 0));
  gradSteps.forEach((grads, step) => {
    const t = step + 1;
    let scale = 1;
    if (o.maxGradNorm !== undefined) {
      const norm = Math.sqrt(grads.flat().reduce((s, g) => s + g * g, 0));
      scale = Math.min(1, o.maxGradNorm / (norm + 1e-6));
    }
    p.forEach((pk, k) => {
      for (let i = 0; i < pk.length; i++) {
        const g = grads[k][i] * scale;
        m[k][i] = o.beta1 * m[k][i] + (1 - o.beta1) * g;
        v[k][i] = o.beta2 * v[k][i] + (1 - o.beta2) * g * g;
        const mHat = m[k][i] / (1 - o.beta1 ** t);
        const vHat = v[k][i] / (1 - o.beta2 ** t);
        pk[i] -= o.lr * mHat / (Math.sqrt(vHat) + o.eps);
      }
    });
  });
  return p;
}

const ADAM_INIT = [[0.5, -1, 2], [0.25, -0.75]];
const ADAM_GRADS = [
  [[0.3, -2.0, 0.05], [1.5, -0.4]],
  [[-0.1, -1.0, 0.2], [0.9, 0.0]],
  [[0.02, 0.01, -0.03], [-0.01, 0.04]], // small: not clipped at maxGradNorm 0.5
];

for (const maxGradNorm of [undefined, 0.5]) {
  Deno.test(`Adam.applyGradients matches PyTorch for 3 steps (maxGradNorm ${maxGradNorm})`, () => {
    const opts = { lr: 0.1, beta1: 0.8, beta2: 0.95, eps: 1e-3 };
    const vars = [
      tf.variable(tf.tensor1d(ADAM_INIT[0])),
      tf.variable(tf.tensor2d(ADAM_INIT[1], [1, 2])),
    ];
    const adam = new Adam(vars, { ...opts, maxGradNorm });
    const before = tf.memory().numTensors;
    ADAM_GRADS.forEach((step, s) => {
      const grads = step.map((g, k) => tf.tensor(g, vars[k].shape));
      adam.applyGradients(grads);
      grads.forEach((g) => g.dispose());
      const expected = adamReference(ADAM_INIT, ADAM_GRADS.slice(0, s + 1), {
        ...opts,
        maxGradNorm,
      });
      vars.forEach((v, k) => assertAllClose(values(v), expected[k], 1e-5, 1e-6, `step ${s + 1}`));
    });
    assert.equal(tf.memory().numTensors, before, "applyGradients leaked tensors");
    // Clipping changed the trajectory (the reference differs between the two settings).
    const unclipped = adamReference(ADAM_INIT, ADAM_GRADS, opts);
    const clipped = adamReference(ADAM_INIT, ADAM_GRADS, { ...opts, maxGradNorm: 0.5 });
    assert.notDeepEqual(unclipped, clipped);
    adam.dispose();
    vars.forEach((v) => v.dispose());
  });
}

/** Adam's step as the chain of tensor ops it stands for (the form of the non-wasm backends). */
function adamTensorSteps(
  init: Float32Array[],
  shapes: number[][],
  gradSteps: Float32Array[][],
  o: { lr: number; beta1: number; beta2: number; eps: number; maxGradNorm?: number },
): Float32Array[] {
  return tf.tidy(() => {
    let p = init.map((x, i) => tf.tensor(x, shapes[i]));
    let m = p.map((x) => tf.zerosLike(x));
    let v = p.map((x) => tf.zerosLike(x));
    gradSteps.forEach((step, s) => {
      const t = s + 1;
      const stepSize = o.lr / (1 - o.beta1 ** t);
      const bias2 = Math.sqrt(1 - o.beta2 ** t);
      const grads = step.map((g, i) => tf.tensor(g, shapes[i]));
      let scale: tf.Tensor | null = null;
      if (o.maxGradNorm !== undefined) {
        const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
        scale = tf.minimum(1, tf.div(o.maxGradNorm, tf.add(norm, 1e-6)));
      }
      const g = grads.map((x) => (scale ? tf.mul(x, scale) : x));
      m = m.map((x, i) => tf.add(tf.mul(x, o.beta1), tf.mul(g[i], 1 - o.beta1)));
      v = v.map((x, i) => tf.add(tf.mul(x, o.beta2), tf.mul(tf.square(g[i]), 1 - o.beta2)));
      p = p.map((x, i) => {
        const denom = tf.add(tf.div(tf.sqrt(v[i]), bias2), o.eps);
        return tf.sub(x, tf.mul(tf.div(m[i], denom), stepSize));
      });
    });
    return p.map((x) => x.dataSync() as Float32Array);
  });
}

for (const maxGradNorm of [undefined, 0.5]) {
  Deno.test(`Adam on wasm (one fused pass per variable) is bit-identical to its tensor ops (maxGradNorm ${maxGradNorm})`, () => {
    const rng = new Rng(11);
    const shapes = [[37, 5], [5], [1], [33, 1000]]; // odd sizes (scalar tail) and a large one
    const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
    const init = sizes.map((n) => new Float32Array(randomArray(rng, n)));
    // gradients over many scales, exact zeros included
    const gradSteps = [1, 1e-3, 30, 1e-7].map((scale) =>
      sizes.map((n) => new Float32Array(randomArray(rng, n, scale)).map((x, i) => i % 7 ? x : 0))
    );
    const o = { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm };
    const vars = init.map((x, i) => tf.variable(tf.tensor(x, shapes[i])));
    const adam = new Adam(vars, o);
    for (const step of gradSteps) {
      tf.tidy(() => adam.applyGradients(step.map((g, i) => tf.tensor(g, shapes[i]))));
    }
    const expected = adamTensorSteps(init, shapes, gradSteps, o);
    vars.forEach((x, i) => assert.deepEqual(x.dataSync(), expected[i], `variable ${i}`));
    adam.dispose();
    vars.forEach((x) => x.dispose());
  });
}

Deno.test("Adam leaves a variable that shares the stepped one's buffer alone", () => {
  // copyVariables assigns, which shares the buffer: an in-place step would move both
  const source = tf.variable(tf.tensor1d([1, -2, 3]));
  const copy = tf.variable(tf.zeros([3]));
  copyVariables([copy], [source]);
  const adam = new Adam([source], { lr: 0.1 });
  tf.tidy(() => adam.applyGradients([tf.tensor1d([1, 1, -1])]));
  assert.deepEqual(values(copy), [1, -2, 3]);
  assertAllClose(values(source), [0.9, -2.1, 3.1], 1e-6, 1e-6, "stepped");
  adam.dispose();
  [source, copy].forEach((x) => x.dispose());
});

Deno.test("Adam default hyper-parameters are PyTorch's (0.9, 0.999, 1e-8)", () => {
  const v = tf.variable(tf.tensor1d([1, -2]));
  const adam = new Adam([v], { lr: 0.01 });
  const steps = [[[0.5, -0.25]], [[0.1, 0.3]]];
  for (const [g] of steps) tf.tidy(() => adam.applyGradients([tf.tensor1d(g)]));
  const expected = adamReference([[1, -2]], steps, {
    lr: 0.01,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
  });
  assertAllClose(values(v), expected[0], 1e-5, 1e-6, "defaults");
  adam.dispose();
  v.dispose();
});

Deno.test("Adam.minimize returns the loss and steps along its gradient", () => {
  const target = [1, 2, 3];
  const v = tf.variable(tf.tensor1d([0, 0, 5]));
  const adam = new Adam([v], { lr: 0.05 });
  const loss = () => tf.sum(tf.square(tf.sub(v, tf.tensor1d(target)))) as tf.Scalar;
  const l0 = adam.minimize(loss);
  assert.ok(Math.abs(l0 - (1 + 4 + 4)) < 1e-5, `loss ${l0}`);
  // dL/dv = 2 (v - target) = [-2, -4, 4]; first Adam step moves each coordinate by lr * sign.
  assertAllClose(values(v), [0.05, 0.05, 4.95], 1e-5, 1e-6, "after minimize");
  const before = tf.memory().numTensors;
  adam.minimize(loss);
  assert.equal(tf.memory().numTensors, before, "minimize leaked tensors");
  adam.dispose();
  v.dispose();
});

Deno.test("Adam.state()/load() round trip continues identically", () => {
  const opts = { lr: 0.02, maxGradNorm: 1 };
  const mk = () => [tf.variable(tf.tensor1d(ADAM_INIT[0])), tf.variable(tf.tensor1d(ADAM_INIT[1]))];
  const step = (adam: Adam, grads: number[][]) =>
    tf.tidy(() => adam.applyGradients(grads.map((g) => tf.tensor1d(g))));
  const va = mk();
  const a = new Adam(va, opts);
  step(a, ADAM_GRADS[0]);
  step(a, ADAM_GRADS[1]);
  const saved = a.state();
  assert.equal(saved.t, 2);
  assert.equal(saved.lr, 0.02);
  assert.equal(saved.m.length, 2);
  assert.ok(saved.m[0] instanceof Float32Array && saved.v[1] instanceof Float32Array);
  const savedCopy = structuredClone(saved);

  const vb = mk();
  vb.forEach((v, k) => v.assign(tf.tensor1d(values(va[k]))));
  const b = new Adam(vb, { lr: 999, maxGradNorm: 1 });
  b.load(saved);
  assert.equal(b.lr, 0.02);
  step(a, ADAM_GRADS[2]);
  step(b, ADAM_GRADS[2]);
  va.forEach((v, k) => assert.deepEqual(values(vb[k]), values(v)));
  // state() is a snapshot: later steps do not change it.
  assert.deepEqual(saved, savedCopy);
  // Without load() the same step differs (so the test above depends on the restored moments).
  const vc = mk();
  vc.forEach((v, k) => v.assign(tf.tensor1d(values(vb[k]))));
  const fresh = mk();
  fresh.forEach((v, k) => v.assign(tf.tensor1d(values(vc[k]))));
  const c = new Adam(vc, opts);
  const loaded = new Adam(fresh, opts);
  loaded.load(saved);
  step(c, ADAM_GRADS[0]);
  step(loaded, ADAM_GRADS[0]);
  assert.notDeepEqual(values(vc[0]), values(fresh[0]));
  assert.throws(
    () => new Adam([vc[0]], opts).load(saved),
    /optimizer state has 2 slots, expected 1/,
  );
  [a, b, c, loaded].forEach((o) => o.dispose());
  [...va, ...vb, ...vc, ...fresh].forEach((v) => v.dispose());
});

Deno.test("polyakUpdate and copyVariables", () => {
  const target = [tf.variable(tf.tensor1d([1, 2])), tf.variable(tf.tensor2d([[0, 10]]))];
  const source = [tf.variable(tf.tensor1d([3, -2])), tf.variable(tf.tensor2d([[4, 0]]))];
  const before = tf.memory().numTensors;
  polyakUpdate(target, source, 0.25);
  assert.equal(tf.memory().numTensors, before, "polyakUpdate leaked tensors");
  assertAllClose(values(target[0]), [1.5, 1], 1e-6, 1e-7, "polyak 0");
  assertAllClose(values(target[1]), [1, 7.5], 1e-6, 1e-7, "polyak 1");
  assertAllClose(values(source[0]), [3, -2], 0, 0, "source untouched");
  polyakUpdate(target, source, 1);
  assert.deepEqual(values(target[0]), [3, -2]);
  polyakUpdate(target, source, 0);
  assert.deepEqual(values(target[0]), [3, -2]);

  const copyT = [tf.variable(tf.tensor1d([0, 0, 0]))];
  const copyS = [tf.variable(tf.tensor1d([1, 2, 3]))];
  copyVariables(copyT, copyS);
  assert.deepEqual(values(copyT[0]), [1, 2, 3]);
  // The copy is independent of later changes to the source (and vice versa).
  copyS[0].assign(tf.tensor1d([9, 9, 9]));
  assert.deepEqual(values(copyT[0]), [1, 2, 3]);
  copyT[0].assign(tf.tensor1d([5, 5, 5]));
  assert.deepEqual(values(copyS[0]), [9, 9, 9]);
  [...target, ...source, ...copyT, ...copyS].forEach((v) => v.dispose());
});

Deno.test("exportVariables/importVariables round trip and errors", () => {
  const a = new Mlp(3, 2, new Rng(1), { hidden: [4], activation: "tanh" });
  const b = new Mlp(3, 2, new Rng(2), { hidden: [4], activation: "tanh" });
  const exported = exportVariables("actor", a.variables());
  assert.deepEqual(Object.keys(exported), ["actor/0", "actor/1", "actor/2", "actor/3"]);
  assert.deepEqual(exported["actor/0"].shape, [3, 4]);
  assert.deepEqual(exported["actor/3"].shape, [2]);
  assert.ok(exported["actor/0"].data instanceof Float32Array);
  const x = tf.tensor2d([0.1, -0.2, 0.3, 1, 2, -3], [2, 3]);
  assert.notDeepEqual(values(b.apply(x)), values(a.apply(x)));
  importVariables("actor", b.variables(), exported);
  assert.deepEqual(values(b.apply(x)), values(a.apply(x)));
  // The export is a snapshot, not a view of the variable.
  const snapshot = exported["actor/1"].data.slice();
  a.variables()[1].assign(tf.zeros([4]));
  assert.deepEqual(exported["actor/1"].data, snapshot);

  const wrong = new Mlp(3, 2, new Rng(3), { hidden: [5], activation: "tanh" });
  assert.throws(
    () => importVariables("actor", wrong.variables(), exported),
    /weights: 'actor\/0' has shape \[3,4\], expected \[3,5\]/,
  );
  assert.throws(() => importVariables("critic", b.variables(), exported), /missing 'critic\/0'/);
  const partial = { ...exported };
  delete partial["actor/3"];
  assert.throws(() => importVariables("actor", b.variables(), partial), /missing 'actor\/3'/);
  x.dispose();
  [a, b, wrong].forEach((m) => m.variables().forEach((v) => v.dispose()));
});

/** A float64 forward pass of stacked MLP `k` (`[n, in, out]` weights, `[n, 1, out]` biases). */
function stackedForward64(
  params: number[][],
  shapes: number[][],
  activation: Activation,
  x: number[],
  batch: number,
  k: number,
): number[] {
  let h = x;
  const layers = params.length / 2;
  for (let li = 0; li < layers; li++) {
    const [, inputs, outputs] = shapes[2 * li];
    const w = params[2 * li].slice(k * inputs * outputs, (k + 1) * inputs * outputs);
    const b = params[2 * li + 1].slice(k * outputs, (k + 1) * outputs);
    const out = new Array(batch * outputs).fill(0);
    for (let r = 0; r < batch; r++) {
      for (let j = 0; j < outputs; j++) {
        let s = b[j];
        for (let i = 0; i < inputs; i++) s += h[r * inputs + i] * w[i * outputs + j];
        out[r * outputs + j] = li < layers - 1 ? activation64(s, activation) : s;
      }
    }
    h = out;
  }
  return h;
}

for (const activation of ["relu", "tanh", "silu", "linear"] as const) {
  for (const [shared, activateInput] of [[true, false], [false, false], [false, true]]) {
    const what = `${shared ? "shared" : "own"} input${activateInput ? ", activated first" : ""}`;
    Deno.test(`stackedMlp (${activation}, ${what}): gradients equal finite differences`, () => {
      const rng = new Rng(31);
      const [n, batch, sizes] = [2, 3, [3, 5, 4, 2]];
      const shapes = sizes.slice(1).flatMap((out, i) => [[n, sizes[i], out], [n, 1, out]]);
      const params = shapes.map((shape) => randomArray(rng, shape.reduce((a, b) => a * b, 1), 0.7));
      const vars = params.map((p, i) => tf.variable(tf.tensor(p, shapes[i])));
      const xShape = shared ? [batch, sizes[0]] : [n, batch, sizes[0]];
      const x0 = randomArray(rng, xShape.reduce((a, b) => a * b, 1));
      const xOf = (x: number[], k: number) => {
        const own = shared ? x : x.slice(k * batch * 3, (k + 1) * batch * 3);
        return activateInput ? own.map((v) => activation64(v, activation)) : own;
      };
      const loss64 = (p: number[][], x: number[]) =>
        [0, 1].reduce(
          (s, k) =>
            s +
            stackedForward64(p, shapes, activation, xOf(x, k), batch, k)
              .reduce((t, y) => t + Math.tanh(y) ** 2, 0),
          0,
        );
      const lossOf = (x: tf.Tensor, options = {}) =>
        tf.sum(
          tf.square(tf.tanh(stackedMlp(x, vars, activation, { activateInput, ...options }))),
        ) as tf.Scalar;
      const before = tf.memory().numTensors;
      const analytic = tf.tidy(() => {
        const x = tf.tensor(x0, xShape);
        const { value, grads } = tf.variableGrads(() => lossOf(x), vars);
        assertAllClose([values(value)[0]], [loss64(params, x0)], 1e-4, 1e-5, "loss");
        // the switches: zeros where asked, the same gradients elsewhere
        const noWeights = tf.variableGrads(() => lossOf(x, { weightGrads: false }), vars).grads;
        for (const v of vars) assert.ok(values(noWeights[v.name]).every((g) => g === 0));
        const noInput = tf.grad((xt: tf.Tensor) => lossOf(xt, { inputGrad: false }))(x);
        assert.ok(values(noInput).every((g) => g === 0));
        const inputOnly = tf.grad((xt: tf.Tensor) => lossOf(xt, { weightGrads: false }))(x);
        const full = tf.grad((xt: tf.Tensor) => lossOf(xt))(x);
        assert.deepEqual(values(inputOnly), values(full));
        return { vars: vars.map((v) => values(grads[v.name])), x: values(full) };
      });
      // under a tape but off the path from the variables to the loss: nothing kept behind
      tf.tidy(() => {
        const x = tf.tensor(x0, xShape);
        tf.variableGrads(() => {
          stackedMlp(x, vars, activation);
          return tf.sum(tf.square(vars[0])) as tf.Scalar;
        }, vars);
      });
      assert.equal(tf.memory().numTensors, before, "tensors left behind");
      const eps = 1e-6;
      params.forEach((p, k) => {
        const fd = numericGrad((q) => loss64(params.map((o, j) => (j === k ? q : o)), x0), p, eps);
        assertAllClose(analytic.vars[k], fd, 2e-3, 2e-4, `${activation} dL/dvar${k}`);
      });
      assertAllClose(
        analytic.x,
        numericGrad((x) => loss64(params, x), x0, eps),
        2e-3,
        2e-4,
        "dL/dx",
      );
      vars.forEach((v) => v.dispose());
    });
  }
}

Deno.test("Mlp.apply(x, _, _, false): zero input gradient, the same weight gradients, nothing kept", () => {
  const rng = new Rng(4);
  for (const activation of ["relu", "tanh", "gelu"] as const) {
    const mlp = new Mlp(3, 2, rng, { hidden: [5, 4], activation });
    const x = tf.tensor2d(randomArray(rng, 12), [4, 3]);
    const vars = mlp.variables();
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const lossOf = (xt: tf.Tensor, inputGrad: boolean) =>
        tf.sum(tf.square(mlp.apply(xt, true, 0, inputGrad))) as tf.Scalar;
      const dx = tf.grad((xt: tf.Tensor) => lossOf(xt, false))(x);
      if (activation !== "gelu") assert.ok(values(dx).every((g) => g === 0), activation);
      const a = tf.variableGrads(() => lossOf(x, false), vars).grads;
      const b = tf.variableGrads(() => lossOf(x, true), vars).grads;
      for (const v of vars) assert.deepEqual(values(a[v.name]), values(b[v.name]), activation);
    });
    assert.equal(tf.memory().numTensors, before, `${activation}: tensors left behind`);
    x.dispose();
    vars.forEach((v) => v.dispose());
  }
});

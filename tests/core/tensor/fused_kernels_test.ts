/**
 * core/tensor/fused_kernels.ts against the tensor form it replaces, to the bit: the sum of
 * squares (and the gradient-norm clip built on it), tanh's gradient, bias + tanh; and a tanh
 * MLP's fused gradient against the per-layer autodiff chain. The MLP gradients against finite
 * differences are in nn_test.ts.
 */
import assert from "node:assert/strict";
import { tf } from "../../../core/tensor/tf.ts";
import { useBackend } from "../../../core/tensor/backend.ts";
import { Rng } from "../../../core/rng.ts";
import { FusedKernels, fusedModuleBytes } from "../../../core/tensor/fused_kernels.ts";
import { Adam, Mlp } from "../../../core/tensor/nn.ts";
import { float32Bits as bits } from "../../helpers.ts";

await useBackend("wasm");

function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

function kernels(): FusedKernels {
  const k = FusedKernels.current();
  assert.ok(k, "the fused kernels load on the wasm backend");
  return k;
}

Deno.test("the fused module is valid WebAssembly; no kernels off the wasm backend", async () => {
  assert.ok(WebAssembly.validate(fusedModuleBytes() as BufferSource));
  kernels();
  await useBackend("cpu");
  try {
    assert.equal(FusedKernels.current(), null);
  } finally {
    await useBackend("wasm");
  }
});

for (const n of [1, 3, 4, 5, 1000, 4099, 376 * 256]) {
  Deno.test(`sumSquares, tanhGrad = tf.sum(tf.square(x)), (1 - y^2) dy to the bit (n = ${n})`, () => {
    const rng = new Rng(n);
    const x = tf.tensor1d(randomArray(rng, n, 0.1));
    const y = tf.tanh(tf.tensor1d(randomArray(rng, n, 2)));
    const dy = tf.tensor1d(randomArray(rng, n));
    const k = kernels();
    assert.deepEqual(bits([k.sumSquares(x)]), bits(tf.sum(tf.square(x))));
    const fused = k.tanhGrad(dy, y);
    assert.deepEqual(fused.shape, dy.shape);
    assert.deepEqual(bits(fused), bits(tf.mul(tf.sub(1, tf.square(y)), dy)));
    tf.dispose([x, y, dy, fused]);
  });
}

for (const [groups, rows, cols] of [[1, 5, 7], [1, 256, 256], [3, 4, 9]]) {
  Deno.test(`biasTanh = tf.tanh(tf.add(x, bias)) to the bit (${groups}x${rows}x${cols})`, () => {
    const rng = new Rng(rows * cols + groups);
    const shape = groups === 1 ? [rows, cols] : [groups, rows, cols];
    const x = tf.tensor(randomArray(rng, groups * rows * cols, 2), shape);
    const bias = tf.tensor(
      randomArray(rng, groups * cols),
      groups === 1 ? [cols] : [groups, 1, cols],
    );
    const fused = kernels().biasTanh(x, bias, { groups, rows, cols });
    assert.ok(fused, "the SIMD tanh is registered by useBackend('wasm')");
    assert.deepEqual(bits(fused), bits(tf.tanh(tf.add(x, bias))));
    tf.dispose([x, bias, fused]);
  });
}

for (const clipping of [true, false]) {
  Deno.test(`Adam with gradient-norm clipping (${clipping ? "active" : "inactive"}) = scaled tensor form to the bit`, () => {
    const rng = new Rng(clipping ? 1 : 2);
    const shapes = [[37, 11], [11], [11, 3], [1, 3]];
    const init = shapes.map((s) => randomArray(rng, s.reduce((a, b) => a * b, 1)));
    const grads = shapes.map((s, i) => tf.tensor(randomArray(rng, init[i].length, 0.05), s));
    const maxGradNorm = clipping ? 0.5 : 1e3;
    // the tensor form's scale, applied to the gradients up front (the kernel's `g * 1` is g)
    const scale = tf.minimum(
      1,
      tf.div(maxGradNorm, tf.add(tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))), 1e-6)),
    );
    assert.equal(scale.dataSync()[0] < 1, clipping);
    const a = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s)));
    const b = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s)));
    const clipped = new Adam(a, { lr: 1e-3, eps: 1e-5, maxGradNorm });
    const reference = new Adam(b, { lr: 1e-3, eps: 1e-5 });
    for (let step = 0; step < 2; step++) {
      clipped.applyGradients(grads);
      reference.applyGradients(grads.map((g) => tf.mul(g, scale)));
    }
    a.forEach((v, i) => assert.deepEqual(bits(v), bits(b[i]), `variable ${i}`));
    clipped.dispose();
    reference.dispose();
    tf.dispose([...a, ...b, ...grads, scale]);
  });
}

Deno.test("a tanh MLP's fused gradient = the per-layer autodiff chain to the bit", () => {
  const rng = new Rng(7);
  const mlp = new Mlp(13, 4, rng, { hidden: [32, 32], activation: "tanh" });
  const x = tf.tensor2d(randomArray(rng, 9 * 13), [9, 13]);
  const target = tf.tensor2d(randomArray(rng, 9 * 4), [9, 4]);
  const vars = mlp.variables();
  const lossOf = (out: tf.Tensor) => tf.sum(tf.square(tf.sub(out, target))) as tf.Scalar;
  const fused = tf.variableGrads(() => lossOf(mlp.apply(x)), vars);
  const chain = tf.variableGrads(() => {
    let h: tf.Tensor = x;
    mlp.layers.forEach((layer, i) => {
      h = tf.add(tf.matMul(h as tf.Tensor2D, layer.w), layer.b);
      if (i < mlp.layers.length - 1) h = tf.tanh(h);
    });
    return lossOf(h);
  }, vars);
  assert.deepEqual(bits(fused.value), bits(chain.value));
  for (const v of vars) {
    assert.deepEqual(bits(fused.grads[v.name]), bits(chain.grads[v.name]), v.name);
  }
  tf.dispose([x, target, fused.value, chain.value, ...vars]);
  tf.dispose([...Object.values(fused.grads), ...Object.values(chain.grads)]);
});

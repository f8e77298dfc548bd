import assert from "node:assert/strict";
import { tf } from "../../../core/tensor/tf.ts";
import { useBackend } from "../../../core/tensor/backend.ts";
import { Rng } from "../../../core/rng.ts";
import { copyVariables, polyakUpdate } from "../../../core/tensor/nn.ts";
import {
  heapKernels,
  kernelModuleBytes,
  type WasmBackendInternals,
} from "../../../core/tensor/wasm_kernels.ts";

await useBackend("wasm");

function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

Deno.test("the kernel module is valid WebAssembly and loads on the wasm backend's memory", () => {
  assert.ok(WebAssembly.validate(kernelModuleBytes() as BufferSource));
  const kernels = heapKernels(tf.backend() as unknown as WasmBackendInternals);
  assert.ok(kernels, "heapKernels returned null on the wasm backend");
  // one instance per memory: the same object again
  assert.equal(heapKernels(tf.backend() as unknown as WasmBackendInternals), kernels);
});

// sizes around the four-lane boundary, and one past several vectors
for (const n of [1, 3, 4, 5, 1000, 4099]) {
  Deno.test(`polyakUpdate on wasm (fused) is bit-identical to its tensor ops (n = ${n})`, () => {
    const rng = new Rng(n);
    const source = randomArray(rng, n);
    const target = randomArray(rng, n, 3);
    const tau = 0.005;
    const expected = tf.tidy(() =>
      tf.add(tf.mul(tf.tensor1d(source), tau), tf.mul(tf.tensor1d(target), 1 - tau)).dataSync()
    );
    const s = tf.variable(tf.tensor1d(source));
    const t = tf.variable(tf.tensor1d(target));
    polyakUpdate([t], [s], tau);
    assert.deepEqual(t.dataSync(), expected);
    assert.deepEqual(s.dataSync(), source, "source left alone");
    [s, t].forEach((x) => x.dispose());
  });
}

Deno.test("polyakUpdate leaves a variable that shares the target's buffer alone", () => {
  // copyVariables assigns, which shares the buffer: an in-place update would move both
  const online = tf.variable(tf.tensor1d([1, 2, 3, 4, 5]));
  const target = tf.variable(tf.zeros([5]));
  const other = tf.variable(tf.zeros([5]));
  copyVariables([target], [online]);
  copyVariables([other], [target]);
  const next = tf.variable(tf.tensor1d([11, 12, 13, 14, 15]));
  polyakUpdate([target], [next], 0.5);
  assert.deepEqual(Array.from(other.dataSync()), [1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(online.dataSync()), [1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(target.dataSync()), [6, 7, 8, 9, 10]);
  [online, target, other, next].forEach((x) => x.dispose());
});

Deno.test("tf.tanh on wasm (SIMD kernel) is within 8 ulp (5e-7) of the exact value everywhere", () => {
  const n = 200_003; // not a multiple of four: the scalar tail too
  const x = tf.linspace(-12, 12, n);
  const xs = x.dataSync();
  const ys = tf.tanh(x).dataSync();
  for (let i = 0; i < n; i++) {
    const exact = Math.tanh(xs[i]);
    const ulp = Math.max(2 ** -149, 2 ** (Math.floor(Math.log2(Math.abs(exact) || 1)) - 23));
    const err = Math.abs(ys[i] - exact) / ulp;
    assert.ok(
      err <= 8 && Math.abs(ys[i] - exact) <= 5e-7,
      `tanh(${xs[i]}) = ${ys[i]}, exact ${exact}: ${err.toFixed(1)} ulp`,
    );
    assert.ok(Math.abs(ys[i]) <= 1, `|tanh(${xs[i]})| > 1`);
  }
  x.dispose();
});

Deno.test("tf.tanh on wasm: saturation, signed zero, tiny inputs, NaN", () => {
  const x = tf.tensor1d([1e4, -1e4, 0, -0, 1e-30, -3e-8, NaN, Infinity, -Infinity]);
  const y = Array.from(tf.tanh(x).dataSync());
  assert.equal(y[0], 1);
  assert.equal(y[1], -1);
  assert.ok(Object.is(y[2], 0) && Object.is(y[3], -0), `signed zeros: ${y[2]}, ${y[3]}`);
  assert.ok(Math.abs(y[4] - 1e-30) <= 1e-30 * 2 ** -21, `tanh(1e-30) = ${y[4]}`);
  assert.ok(Math.abs(y[5] + 3e-8) <= 3e-8 * 2 ** -21, `tanh(-3e-8) = ${y[5]}`);
  assert.ok(Number.isNaN(y[6]));
  assert.deepEqual(y.slice(7), [1, -1]);
  x.dispose();
});

Deno.test("tf.tanh's gradient on wasm equals finite differences", () => {
  const rng = new Rng(5);
  const x0 = randomArray(rng, 37, 2);
  const w = randomArray(rng, 37);
  const loss = (x: tf.Tensor) => tf.sum(tf.mul(tf.tanh(x), tf.tensor1d(w))) as tf.Scalar;
  const grad = tf.grad(loss)(tf.tensor1d(x0)).dataSync();
  for (let i = 0; i < 37; i++) {
    const h = 1e-2;
    const plus = Float64Array.from(x0);
    plus[i] += h;
    const minus = Float64Array.from(x0);
    minus[i] -= h;
    const f = (v: Float64Array) => v.reduce((s, xi, j) => s + Math.tanh(xi) * w[j], 0);
    const fd = (f(plus) - f(minus)) / (2 * h);
    assert.ok(Math.abs(grad[i] - fd) < 2e-4 * (1 + Math.abs(fd)), `${i}: ${grad[i]} vs ${fd}`);
  }
});

for (const [groups, rows, cols] of [[1, 5, 7], [2, 3, 8], [2, 256, 13], [1, 1, 1]]) {
  Deno.test(`biasAdd, addRelu and reluGrad kernels give tf.add, tf.relu and dy * step(y)'s bits (${groups}x${rows}x${cols})`, () => {
    const kernels = heapKernels(tf.backend() as unknown as WasmBackendInternals)!;
    const backend = tf.backend() as unknown as WasmBackendInternals;
    const rng = new Rng(groups * 1000 + rows * 10 + cols);
    // exact zeros among the sums, as a relu's input has
    const x = randomArray(rng, groups * rows * cols).map((v, i) => (i % 5 ? v : 0));
    const bias = randomArray(rng, groups * cols).map((v, i) => (i % 3 ? v : 0));
    const shape = groups === 1 ? [rows, cols] : [groups, rows, cols];
    const biasShape = groups === 1 ? [cols] : [groups, 1, cols];
    const xt = tf.tensor(x, shape);
    const bt = tf.tensor(bias, biasShape);
    const offset = (t: { dataId: unknown }) => backend.dataIdMap.get(t.dataId).memoryOffset;
    for (const relu of [false, true]) {
      const out = tf.zeros(shape);
      kernels.biasAdd(offset(xt), offset(bt), offset(out), { groups, rows, cols }, relu);
      const expected = tf.tidy(() => {
        const sum = tf.add(xt, bt);
        return (relu ? tf.relu(sum) : sum).dataSync();
      });
      assert.deepEqual(out.dataSync(), expected, `relu ${relu}`);
      out.dispose();
    }
    // relu(x + a) with an addend of x's shape: opposite values give exact zeros of both signs
    const addend = tf.tensor(x.map((v, i) => (i % 4 ? randomArray(rng, 1)[0] : -v)), shape);
    const summed = tf.zeros(shape);
    kernels.addRelu(offset(xt), offset(addend), offset(summed), x.length);
    const expectedSum = tf.tidy(() => tf.relu(tf.add(xt, addend)).dataSync());
    assert.deepEqual(summed.dataSync(), expectedSum, "addRelu");
    tf.dispose([addend, summed]);
    const dy = tf.tensor(randomArray(rng, x.length), shape);
    const out = tf.zeros(shape);
    kernels.reluGrad(offset(dy), offset(xt), offset(out), x.length);
    const expected = tf.tidy(() => tf.mul(dy, tf.step(xt)).dataSync());
    assert.deepEqual(out.dataSync(), expected, "reluGrad");
    tf.dispose([xt, bt, dy, out]);
  });
}

import assert from "node:assert/strict";
import { Rng } from "../../../core/mod.ts";
import {
  type Activation,
  Dense,
  disableNativeMatMul,
  enableNativeMatMul,
  Mlp,
  nativeMatMulEnabled,
  tf,
  useBackend,
} from "../../../core/tensor/mod.ts";
import { assertGradientMatchesFiniteDifferences } from "../../helpers.ts";

await useBackend("wasm");
const wasmKernel = tf.getKernel("BatchMatMul", "wasm");
// Probe once: without an OpenBLAS (or with DMERL_BLAS=off) every test here is skipped.
const probe = enableNativeMatMul();
disableNativeMatMul();
const noBlas = !probe.enabled;
if (noBlas) console.log(`blas_test: skipped, native matMul unavailable (${probe.reason})`);

/** Runs `f` with the native matMul on, switching it off again afterwards. */
function withNative<T>(f: () => T): T {
  const status = enableNativeMatMul();
  assert.ok(status.enabled, status.reason ?? "native matMul unavailable");
  try {
    return f();
  } finally {
    disableNativeMatMul();
  }
}

/** Element-wise agreement within `rtol` of the larger of the entry and the result's max. */
function assertRelClose(
  actual: Float32Array,
  expected: Float32Array,
  rtol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (const e of expected) scale = Math.max(scale, Math.abs(e));
  for (let i = 0; i < actual.length; i++) {
    // relative to the result's magnitude: float32 sums of k terms cancel to near-zero entries
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= rtol * Math.max(Math.abs(expected[i]), scale, 1e-30),
      `${what}[${i}]: native ${actual[i]} vs wasm ${expected[i]}`,
    );
  }
}

const CASES: { name: string; a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
  { name: "plain", a: [7, 5], b: [5, 3], ta: false, tb: false },
  { name: "transposeA", a: [5, 7], b: [5, 3], ta: true, tb: false },
  { name: "transposeB", a: [7, 5], b: [3, 5], ta: false, tb: true },
  { name: "both transposed", a: [5, 7], b: [3, 5], ta: true, tb: true },
  { name: "square 64", a: [64, 64], b: [64, 64], ta: false, tb: false },
  {
    name: "Humanoid critic layer 256x393 @ 393x256",
    a: [256, 393],
    b: [393, 256],
    ta: false,
    tb: false,
  },
  {
    name: "weight gradient shape (transposeA) 393x256",
    a: [256, 393],
    b: [256, 256],
    ta: true,
    tb: false,
  },
  { name: "odd sizes, transposeB", a: [33, 17], b: [129, 17], ta: false, tb: true },
  { name: "vector-matrix", a: [1, 9], b: [9, 1], ta: false, tb: false },
  { name: "batch of 1", a: [1, 6, 4], b: [1, 4, 5], ta: false, tb: false },
  { name: "batch of 3", a: [3, 6, 4], b: [3, 4, 5], ta: false, tb: false },
  { name: "batch of 3, both transposed", a: [3, 4, 6], b: [3, 5, 4], ta: true, tb: true },
  { name: "batch of 2x3 (rank 4)", a: [2, 3, 6, 4], b: [2, 3, 4, 5], ta: false, tb: false },
  { name: "batch of 3 against a broadcast matrix", a: [3, 6, 4], b: [4, 5], ta: false, tb: false },
  { name: "broadcast batch of 1 against 3", a: [1, 6, 4], b: [3, 5, 4], ta: false, tb: true },
];

for (const c of CASES) {
  Deno.test({
    name: `native matMul equals the wasm kernel: ${c.name}`,
    ignore: noBlas,
    fn() {
      const rng = new Rng(c.a.length * 100 + c.a[c.a.length - 1]);
      const a = tf.tensor(rng.fillNormal(new Float32Array(c.a.reduce((x, y) => x * y))), c.a);
      const b = tf.tensor(rng.fillNormal(new Float32Array(c.b.reduce((x, y) => x * y))), c.b);
      const wasm = tf.tidy(() => tf.matMul(a, b, c.ta, c.tb));
      const native = withNative(() => tf.tidy(() => tf.matMul(a, b, c.ta, c.tb)));
      assert.deepEqual(native.shape, wasm.shape);
      assertRelClose(
        native.dataSync() as Float32Array,
        wasm.dataSync() as Float32Array,
        1e-5,
        c.name,
      );
      tf.dispose([a, b, wasm, native]);
    },
  });
}

Deno.test({
  name: "native matMul: non-float inputs and incompatible shapes go to the wasm kernel",
  ignore: noBlas,
  fn() {
    withNative(() => {
      assert.ok(nativeMatMulEnabled());
      // the wasm kernel's own error, unchanged
      assert.throws(() => tf.matMul(tf.ones([2, 3]), tf.ones([4, 2])), /inner shapes/);
      // an empty operand: a correctly shaped empty result
      assert.deepEqual(tf.matMul(tf.ones([0, 3]), tf.ones([3, 2])).shape, [0, 2]);
    });
    assert.ok(!nativeMatMulEnabled());
  },
});

Deno.test({
  name: "native matMul survives the wasm heap growing for its own output (views are re-read)",
  ignore: noBlas,
  fn() {
    const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
    const before = heap().buffer;
    // an output larger than the whole heap: allocating it must grow the WebAssembly memory
    const cols = 1024;
    const rows = Math.ceil((before.byteLength + (1 << 20)) / (4 * cols));
    withNative(() => {
      const a = tf.fill([rows, 1], 2);
      const b = tf.fill([1, cols], 3);
      const out = tf.matMul(a, b);
      assert.notEqual(heap().buffer, before, "the heap grew");
      const values = out.dataSync();
      assert.equal(values.length, rows * cols);
      assert.ok(values[0] === 6 && values[values.length - 1] === 6);
      tf.dispose([a, b, out]);
    });
  },
});

Deno.test({
  name: "enable/disable restore the wasm kernel; DMERL_BLAS=off and a missing library say why",
  ignore: noBlas,
  fn() {
    const first = enableNativeMatMul();
    assert.ok(first.enabled && first.library);
    assert.deepEqual(enableNativeMatMul(), first, "enabling twice is a no-op");
    disableNativeMatMul();
    disableNativeMatMul();
    assert.equal(tf.getKernel("BatchMatMul", "wasm"), wasmKernel, "the wasm kernel is back");
    const saved = Deno.env.get("DMERL_BLAS");
    try {
      Deno.env.set("DMERL_BLAS", "off");
      assert.deepEqual(enableNativeMatMul(), {
        enabled: false,
        reason: "disabled by DMERL_BLAS=off",
      });
      Deno.env.set("DMERL_BLAS", "/nonexistent/libopenblas.so.0");
      const missing = enableNativeMatMul();
      assert.equal(missing.enabled, false);
      assert.match(missing.reason!, /DMERL_BLAS=\/nonexistent\/libopenblas.so.0 could not be/);
      assert.ok(!nativeMatMulEnabled());
    } finally {
      if (saved === undefined) Deno.env.delete("DMERL_BLAS");
      else Deno.env.set("DMERL_BLAS", saved);
    }
  },
});

/** Every variable's gradient of `loss`, as arrays. */
function gradients(loss: () => tf.Scalar, vars: tf.Variable[]): Float32Array[] {
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(loss, vars);
    return vars.map((v) => grads[v.name].dataSync() as Float32Array);
  });
}

for (const activation of ["relu", "tanh", "silu"] as Activation[]) {
  Deno.test({
    name: `Mlp (${activation}) under the native matMul: gradients equal finite differences ` +
      `and the wasm kernel's`,
    ignore: noBlas,
    fn() {
      const rng = new Rng(17);
      const mlp = new Mlp(6, 3, rng, { hidden: [9, 7], activation });
      const x = tf.tensor2d(rng.fillNormal(new Float32Array(5 * 6)), [5, 6]);
      const vars = mlp.variables();
      const loss = () => tf.sum(tf.square(tf.tanh(mlp.apply(x)))) as tf.Scalar;
      const reference = gradients(loss, vars);
      withNative(() => {
        assertGradientMatchesFiniteDifferences(loss, vars, [
          [0, 0],
          [0, 31],
          [1, 4],
          [2, 10],
          [3, 6],
          [4, 20],
          [5, 2],
        ]);
        const native = gradients(loss, vars);
        native.forEach((g, i) => assertRelClose(g, reference[i], 1e-5, `var ${i}`));
      });
      x.dispose();
      vars.forEach((v) => v.dispose());
    },
  });
}

Deno.test({
  name: "Dense input-gradient-only path and tf.matMul's own gradient (transposed operands) " +
    "under the native matMul equal finite differences",
  ignore: noBlas,
  fn() {
    const rng = new Rng(5);
    const layer = new Dense(4, 3, rng);
    const xv = tf.variable(tf.tensor2d(rng.fillNormal(new Float32Array(6 * 4)), [6, 4]));
    const m = tf.variable(tf.tensor2d(rng.fillNormal(new Float32Array(3 * 5)), [3, 5]));
    // layer.apply(x, false): dx only; tf.matMul(h, m^T, false, true) and (m^T)^T: tfjs's own
    // BatchMatMul gradient, which dispatches transposed matMuls
    const loss = () =>
      tf.tidy(() => {
        const h = tf.tanh(layer.apply(xv, false));
        const y = tf.matMul(h, tf.transpose(m), false, true);
        const z = tf.matMul(h, y, true, false);
        return tf.add(tf.sum(tf.square(y)), tf.mul(0.1, tf.sum(tf.sin(z)))) as tf.Scalar;
      });
    const reference = gradients(loss, [xv, m]);
    withNative(() => {
      assertGradientMatchesFiniteDifferences(loss, [xv, m], [[0, 0], [0, 13], [0, 23], [1, 1], [
        1,
        14,
      ]]);
      const native = gradients(loss, [xv, m]);
      native.forEach((g, i) => assertRelClose(g, reference[i], 1e-5, `var ${i}`));
    });
    tf.dispose([xv, m, ...layer.variables()]);
  },
});

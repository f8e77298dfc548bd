import assert from "node:assert/strict";
import { Rng } from "../../../core/mod.ts";
import { LayerNorm, tf, useBackend } from "../../../core/tensor/mod.ts";
import { assertGradientMatchesFiniteDifferences } from "../../helpers.ts";

await useBackend("wasm");

Deno.test("layer norm: rows come out with mean beta and std gamma; values by hand", () => {
  const norm = new LayerNorm(4);
  const out = tf.tidy(() => Array.from(norm.apply(tf.tensor2d([1, 2, 3, 4], [1, 4])).dataSync()));
  // mean 2.5, variance 1.25
  const s = Math.sqrt(1.25 + 1e-6);
  [-1.5, -0.5, 0.5, 1.5].forEach((d, i) => assert.ok(Math.abs(out[i] - d / s) < 1e-5));
  norm.gamma.assign(tf.tensor1d([2, 2, 2, 2]));
  norm.beta.assign(tf.tensor1d([1, 1, 1, 1]));
  const scaled = tf.tidy(() =>
    Array.from(norm.apply(tf.tensor2d([1, 2, 3, 4], [1, 4])).dataSync())
  );
  scaled.forEach((v, i) => assert.ok(Math.abs(v - (1 + 2 * out[i])) < 1e-5));
});

Deno.test("layer norm: gradients in scale, offset and the input match finite differences", () => {
  const norm = new LayerNorm(3);
  const rng = new Rng(2);
  norm.gamma.assign(tf.tensor1d(rng.fillNormal(new Float32Array(3))));
  norm.beta.assign(tf.tensor1d(rng.fillNormal(new Float32Array(3))));
  const x = tf.variable(tf.tensor2d(rng.fillNormal(new Float32Array(6)), [2, 3]));
  const w = tf.tensor2d([0.3, -1.2, 0.7, 1.1, 0.4, -0.5], [2, 3]);
  const loss = () => tf.sum(tf.mul(tf.square(norm.apply(x as tf.Tensor2D)), w)) as tf.Scalar;
  assertGradientMatchesFiniteDifferences(loss, [norm.gamma, norm.beta, x], [
    [0, 0],
    [0, 2],
    [1, 1],
    [2, 0],
    [2, 4],
  ], { eps: 1e-3 });
});

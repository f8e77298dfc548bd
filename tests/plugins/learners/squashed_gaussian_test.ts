/**
 * The fused tanh-squashed Gaussian sample (SAC's losses) against its tensor form: the same
 * value and gradient to the bit on the wasm backend, including saturated and clipped actions;
 * its gradient against finite differences.
 */
import assert from "node:assert/strict";
import { Rng } from "../../../core/rng.ts";
import { tf } from "../../../core/tensor/tf.ts";
import { useBackend } from "../../../core/tensor/backend.ts";
import {
  fusedSquashedSampleOp,
  squashedSampleOp,
} from "../../../plugins/learners/squashed_gaussian.ts";
import { assertGradientMatchesFiniteDifferences, float32Bits as bits } from "../../helpers.ts";

await useBackend("wasm");

const SPEC = { actDim: 5, logStdMin: -5, logStdMax: 2, logScaleSum: 0.37 };

/** Network outputs with some means large enough to saturate tanh past the 0.999 clip. */
function inputs(seed: number, B: number, A: number) {
  const rng = new Rng(seed);
  const out = Float32Array.from({ length: B * 2 * A }, (_, k) => {
    const isMean = k % (2 * A) < A;
    return isMean && rng.uniform() < 0.2 ? 6 * rng.normal() : rng.normal();
  });
  const noise = Float32Array.from({ length: B * A }, () => rng.normal());
  return { out, noise };
}

for (const B of [256, 3]) {
  Deno.test(`fused squashed sample = tensor form to the bit, value and gradient (batch ${B})`, () => {
    const A = SPEC.actDim;
    const { out, noise } = inputs(B, B, A);
    const fused = fusedSquashedSampleOp(SPEC);
    assert.ok(fused, "the fused form runs on wasm");
    const plain = squashedSampleOp(SPEC);
    const x = tf.variable(tf.tensor2d(out, [B, 2 * A]));
    const n = tf.tensor2d(noise, [B, A]);
    // a loss that weighs every output differently, as slices and sums of y and logProb do
    const weights = tf.tensor2d(
      Float32Array.from({ length: B * (A + 1) }, (_, k) => Math.sin(k) + 0.1),
      [B, A + 1],
    );
    const run = (op: typeof plain) =>
      tf.variableGrads(
        () => tf.sum(tf.mul(op(x as tf.Variable<tf.Rank.R2>, n), weights)) as tf.Scalar,
        [x],
      );
    const got = run(fused);
    const expected = run(plain);
    const value = tf.tidy(() => fused(x as tf.Variable<tf.Rank.R2>, n));
    const reference = tf.tidy(() => plain(x as tf.Variable<tf.Rank.R2>, n));
    assert.deepEqual(bits(value), bits(reference), "packed [y, logProb]");
    // some actions were clipped at 0.999
    const y = value.dataSync();
    assert.ok(y.some((v, k) => k % (A + 1) < A && Math.abs(v) === Math.fround(0.999)));
    assert.deepEqual(bits(got.value), bits(expected.value), "loss");
    assert.deepEqual(bits(got.grads[x.name]), bits(expected.grads[x.name]), "gradient");
    tf.dispose([x, n, weights, value, reference, got.value, expected.value]);
    tf.dispose([...Object.values(got.grads), ...Object.values(expected.grads)]);
  });
}

Deno.test("fused squashed sample: gradient matches finite differences", () => {
  const B = 4;
  const A = SPEC.actDim;
  const rng = new Rng(11);
  const x = tf.variable(
    tf.tensor2d(Float32Array.from({ length: B * 2 * A }, () => 0.5 * rng.normal()), [B, 2 * A]),
  );
  const n = tf.tensor2d(Float32Array.from({ length: B * A }, () => rng.normal()), [B, A]);
  const op = fusedSquashedSampleOp(SPEC)!;
  const weights = tf.tensor2d(Float32Array.from({ length: B * (A + 1) }, (_, k) => Math.cos(k)), [
    B,
    A + 1,
  ]);
  assertGradientMatchesFiniteDifferences(
    () => tf.sum(tf.mul(op(x as tf.Variable<tf.Rank.R2>, n), weights)) as tf.Scalar,
    [x],
    [[0, 0], [0, 3], [0, 6], [0, 9], [0, 12], [0, 17], [0, 39]],
    { eps: 1e-3, tolerance: 3e-2 },
  );
  tf.dispose([x, n, weights]);
});

Deno.test("the fused squashed sample runs on the wasm backend only", async () => {
  await useBackend("cpu");
  try {
    assert.equal(fusedSquashedSampleOp(SPEC), null);
  } finally {
    await useBackend("wasm");
  }
});

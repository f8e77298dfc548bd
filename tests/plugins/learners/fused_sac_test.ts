/**
 * fused_sac.ts against the tensor forms it stands for, to the bit on the wasm backend (value
 * and gradient), and its gradients against finite differences.
 */
import assert from "node:assert/strict";
import { Rng } from "../../../core/rng.ts";
import { tf } from "../../../core/tensor/tf.ts";
import { useBackend } from "../../../core/tensor/backend.ts";
import {
  fusedActorLoss,
  fusedSacAvailable,
  fusedSquaredError,
  fusedTemperatureLoss,
  softBellmanTarget,
} from "../../../plugins/learners/fused_sac.ts";
import { assertGradientMatchesFiniteDifferences, float32Bits as bits } from "../../helpers.ts";

await useBackend("wasm");

const normal = (rng: Rng, n: number, scale = 1) =>
  Float32Array.from({ length: n }, () => scale * rng.normal());

for (const B of [256, 5]) {
  Deno.test(`fusedSquaredError = sum(mean(square(q - target), 1)) to the bit (batch ${B})`, () => {
    assert.ok(fusedSacAvailable());
    const rng = new Rng(B);
    const q = tf.variable(tf.tensor2d(normal(rng, 2 * B, 3), [2, B]));
    const target = normal(rng, B, 3);
    const t = tf.tensor1d(target);
    const got = tf.variableGrads(() => fusedSquaredError(q as tf.Variable<tf.Rank.R2>, target), [
      q,
    ]);
    const expected = tf.variableGrads(
      () => tf.sum(tf.mean(tf.square(tf.sub(q, t)), 1)) as tf.Scalar,
      [q],
    );
    assert.deepEqual(bits(got.value), bits(expected.value));
    assert.deepEqual(bits(got.grads[q.name]), bits(expected.grads[q.name]));
    tf.dispose([q, t, got.value, expected.value, got.grads[q.name], expected.grads[q.name]]);
  });

  Deno.test(`softBellmanTarget = the tensor form's target to the bit (batch ${B})`, () => {
    const rng = new Rng(B + 1);
    const qPair = normal(rng, 2 * B, 10);
    const logProb = normal(rng, B, 5);
    const reward = normal(rng, B);
    const terminated = Float32Array.from({ length: B }, (_, b) => b % 3 === 0 ? 1 : 0);
    for (const alpha of [0.2137, 0]) {
      const expected = tf.tidy(() => {
        const [a, b] = tf.unstack(tf.tensor2d(qPair, [2, B]));
        const minQ = tf.minimum(a, b);
        const soft = alpha === 0 ? minQ : tf.sub(minQ, tf.mul(alpha, tf.tensor1d(logProb)));
        const notDone = tf.sub(1, tf.tensor1d(terminated));
        return tf.add(tf.tensor1d(reward), tf.mul(0.99, tf.mul(notDone, soft)));
      });
      const got = softBellmanTarget(qPair, logProb, { reward, terminated }, alpha, 0.99);
      assert.deepEqual(bits(got), bits(expected), `alpha ${alpha}`);
      expected.dispose();
    }
  });

  Deno.test(`fusedTemperatureLoss = the tensor form to the bit (batch ${B})`, () => {
    const rng = new Rng(B + 2);
    const logAlpha = tf.variable(tf.scalar(-1.3));
    const logProb = normal(rng, B, 4);
    const lp = tf.tensor1d(logProb);
    const got = tf.variableGrads(() => fusedTemperatureLoss(logAlpha, logProb, -17), [logAlpha]);
    const expected = tf.variableGrads(
      () => tf.mean(tf.mul(tf.neg(tf.exp(logAlpha)), tf.add(lp, -17))) as tf.Scalar,
      [logAlpha],
    );
    assert.deepEqual(bits(got.value), bits(expected.value));
    assert.deepEqual(got.grads[logAlpha.name].shape, []);
    assert.deepEqual(bits(got.grads[logAlpha.name]), bits(expected.grads[logAlpha.name]));
    tf.dispose([logAlpha, lp, got.value, expected.value]);
    tf.dispose([got.grads[logAlpha.name], expected.grads[logAlpha.name]]);
  });
}

for (const B of [256, 5]) {
  Deno.test(`fusedActorLoss = the tensor form to the bit, value and gradients (batch ${B})`, () => {
    const A = 4;
    const rng = new Rng(B + 3);
    const packed = tf.variable(tf.tensor2d(normal(rng, B * (A + 1), 2), [B, A + 1]));
    // equal pairs in some rows: minimum's gradient goes to q1 there
    const q = normal(rng, 2 * B, 5);
    for (let b = 0; b < B; b += 4) q[B + b] = q[b];
    const qPair = tf.variable(tf.tensor2d(q, [2, B]));
    const vars = [packed, qPair];
    let logProb: Float32Array = new Float32Array();
    const got = tf.variableGrads(() => {
      const out = fusedActorLoss(
        packed as tf.Variable<tf.Rank.R2>,
        qPair as tf.Variable<tf.Rank.R2>,
        0.37,
      );
      logProb = out.logProb;
      return out.loss;
    }, vars);
    const expected = tf.variableGrads(() => {
      const lp = tf.reshape(tf.slice(packed, [0, A], [-1, 1]), [-1]);
      const [q1, q2] = tf.unstack(qPair);
      return tf.mean(tf.sub(tf.mul(0.37, lp), tf.minimum(q1, q2))) as tf.Scalar;
    }, vars);
    assert.deepEqual(bits(logProb), bits(tf.tidy(() => tf.slice(packed, [0, A], [-1, 1]))));
    assert.deepEqual(bits(got.value), bits(expected.value));
    for (const v of vars) {
      assert.deepEqual(bits(got.grads[v.name]), bits(expected.grads[v.name]), v.name);
    }
    tf.dispose([...vars, got.value, expected.value]);
    tf.dispose([...Object.values(got.grads), ...Object.values(expected.grads)]);
  });
}

Deno.test("fused SAC losses: gradients match finite differences", () => {
  const rng = new Rng(9);
  const q = tf.variable(tf.tensor2d(normal(rng, 8), [2, 4]));
  const target = normal(rng, 4);
  assertGradientMatchesFiniteDifferences(
    () => fusedSquaredError(q as tf.Variable<tf.Rank.R2>, target),
    [q],
    [[0, 0], [0, 3], [0, 5], [0, 7]],
  );
  const logAlpha = tf.variable(tf.scalar(0.3));
  const logProb = normal(rng, 6);
  assertGradientMatchesFiniteDifferences(
    () => fusedTemperatureLoss(logAlpha, logProb, -3),
    [logAlpha],
    [[0, 0]],
  );
  const packed = tf.variable(tf.tensor2d(normal(rng, 12), [4, 3]));
  const pair = tf.variable(tf.tensor2d(normal(rng, 8), [2, 4]));
  assertGradientMatchesFiniteDifferences(
    () =>
      fusedActorLoss(packed as tf.Variable<tf.Rank.R2>, pair as tf.Variable<tf.Rank.R2>, 0.5)
        .loss,
    [packed, pair],
    [[0, 2], [0, 5], [0, 11], [1, 0], [1, 6]],
  );
  tf.dispose([q, logAlpha, packed, pair]);
});

Deno.test("the fused SAC passes run on the wasm backend only", async () => {
  await useBackend("cpu");
  try {
    assert.equal(fusedSacAvailable(), false);
  } finally {
    await useBackend("wasm");
  }
});

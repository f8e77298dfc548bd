import assert from "node:assert/strict";
import { box, Rng, squashToBox } from "../../core/mod.ts";
import { tf, useBackend } from "../../core/tensor/mod.ts";
import {
  GAUSSIAN_SCHEMA,
  type GaussianParams,
  GaussianPolicy,
} from "../../plugins/gaussian_policy/mod.ts";
import { defaultsOf } from "../../core/schema.ts";
import { assertGradientMatchesFiniteDifferences } from "../helpers.ts";

await useBackend("wasm");

const SPEC = { observationSpace: box(-10, 10, 3), actionSpace: box([-2, -1], [2, 3]) };

function policy(overrides: Partial<GaussianParams> = {}, seed = 1): GaussianPolicy {
  return new GaussianPolicy(
    SPEC,
    { ...defaultsOf(GAUSSIAN_SCHEMA), hidden: [8, 8], ...overrides },
    new Rng(seed),
  );
}

Deno.test("gaussian policy: sample's log density matches the closed form with tanh and Box terms", () => {
  const p = policy();
  const obs = new Float32Array([0.1, -0.3, 0.5, 1, 2, -1]);
  const noise = new Float32Array([0.3, -1.2, 0.7, 0.05]);
  tf.tidy(() => {
    const o = tf.tensor2d(obs, [2, 3]);
    const { mean, logStd } = p.distribution(o);
    const s = p.sample(o, tf.tensor2d(noise, [2, 2]));
    const m = mean.dataSync();
    const ls = logStd.dataSync();
    const u = s.u.dataSync();
    const y = s.y.dataSync();
    const lp = s.logProb.dataSync();
    const halfWidth = [2, 2];
    for (let b = 0; b < 2; b++) {
      let expected = 0;
      for (let d = 0; d < 2; d++) {
        const i = b * 2 + d;
        assert.ok(ls[i] >= -5 && ls[i] <= 2, "log std inside [min, max]");
        assert.ok(Math.abs(u[i] - (m[i] + Math.exp(ls[i]) * noise[i])) < 1e-5);
        assert.ok(Math.abs(y[i] - Math.max(-0.999, Math.min(0.999, Math.tanh(u[i])))) < 1e-6);
        const z = (u[i] - m[i]) / Math.exp(ls[i]);
        expected += -0.5 * z * z - ls[i] - 0.5 * Math.log(2 * Math.PI);
        expected -= Math.log(1 - Math.tanh(u[i]) ** 2 + 1e-6) + Math.log(halfWidth[d]);
      }
      assert.ok(Math.abs(lp[b] - expected) < 1e-4, `${lp[b]} vs ${expected}`);
    }
  });
  p.dispose();
});

Deno.test("gaussian policy: reparameterised log-density gradient matches finite differences", () => {
  const p = policy({ activation: "tanh" });
  const obs = tf.tensor2d([0.2, -0.1, 0.4, -0.5, 0.3, 0.9], [2, 3]);
  const noise = tf.tensor2d([0.3, -0.4, 0.1, 0.8], [2, 2]);
  const loss = () => tf.mean(p.sample(obs, noise).logProb) as tf.Scalar;
  const n = p.trainableVariables().length;
  // last layer's weights and bias, first layer's bias
  assertGradientMatchesFiniteDifferences(loss, p.trainableVariables(), [[n - 2, 3], [1, 2], [
    n - 1,
    3,
  ]]);
  p.dispose();
});

Deno.test("gaussian policy: sampleAction's values are sample's, its gradient autodiff's and finite differences'", () => {
  for (const logStd of ["state", "param"] as const) {
    const p = policy({ logStd, logStdMin: -2, logStdMax: 1 });
    const vars = p.trainableVariables();
    const obs = tf.tensor2d([0.2, -0.1, 0.4, -0.5, 0.3, 0.9, 3, -4, 5], [3, 3]);
    // the last row's large noise saturates tanh: the clip's zero gradient is taken too
    const noise = tf.tensor2d([0.3, -0.4, 0.1, 0.8, 9, -9], [3, 2]);
    const weights = tf.tensor2d([0.7, -1.3, 0.4, 2, -0.5, 1.1], [3, 2]);
    const lossOf = (s: { y: tf.Tensor; logProb: tf.Tensor }) =>
      tf.add(tf.mean(tf.mul(s.logProb, 0.3)), tf.sum(tf.mul(s.y, weights))) as tf.Scalar;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const fused = p.sampleAction(obs, noise);
      const plain = p.sample(obs, noise);
      assert.deepEqual(fused.y.dataSync(), plain.y.dataSync(), "y");
      assert.deepEqual(fused.logProb.dataSync(), plain.logProb.dataSync(), "logProb");
      const a = tf.variableGrads(() => lossOf(p.sampleAction(obs, noise)), vars).grads;
      const b = tf.variableGrads(() => lossOf(p.sample(obs, noise)), vars).grads;
      for (const v of vars) {
        const [ga, gb] = [a[v.name].dataSync(), b[v.name].dataSync()];
        ga.forEach((g, i) =>
          assert.ok(Math.abs(g - gb[i]) <= 1e-5 * Math.max(1, Math.abs(gb[i])), `${v.name}[${i}]`)
        );
      }
    });
    assert.equal(tf.memory().numTensors, before, "tensors left behind");
    const n = vars.length;
    assertGradientMatchesFiniteDifferences(
      () => lossOf(p.sampleAction(obs, noise)),
      vars,
      // last layer's weights and bias, first layer's bias (and the log std parameter)
      [[4, 3], [4, 9], [5, 1], [1, 2], ...(n > 6 ? [[6, 1] as [number, number]] : [])],
      { eps: 1e-3 },
    );
    tf.dispose([obs, noise, weights]);
    p.dispose();
  }
});

Deno.test("gaussian policy: deterministic act is the squashed mean; sampling follows the seed", () => {
  const p = policy();
  const obs = new Float32Array([0.1, 0.2, 0.3]);
  const mean = tf.tidy(() =>
    p.distribution(tf.tensor2d(obs, [1, 3])).mean.dataSync() as Float32Array
  );
  const det = p.act(obs, { deterministic: true, rng: new Rng(0) });
  assert.deepEqual(Array.from(det), Array.from(squashToBox(mean, SPEC.actionSpace)));
  const a = p.act(obs, { deterministic: false, rng: new Rng(5) });
  const b = p.act(obs, { deterministic: false, rng: new Rng(5) });
  const c = p.act(obs, { deterministic: false, rng: new Rng(6) });
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.notDeepEqual(Array.from(a), Array.from(c));
  for (let d = 0; d < 2; d++) {
    assert.ok(a[d] >= SPEC.actionSpace.low[d] && a[d] <= SPEC.actionSpace.high[d]);
  }
  p.dispose();
});

Deno.test("gaussian policy: weights round-trip, including observation statistics and a learned log std", () => {
  const a = policy({ logStd: "param", logStdInit: -0.5, normalizeObs: true, init: "orthogonal" });
  assert.equal(a.trainableVariables().length, 7, "3 layers x (w, b) + log std");
  a.obsNormalizer.update(new Float32Array([1, 2, 3, 4, 5, 6]), 2);
  const b = policy({ logStd: "param", normalizeObs: true, init: "orthogonal" }, 99);
  b.loadWeights(a.weights());
  const obs = new Float32Array([0.5, -1, 2]);
  const rngA = new Rng(3);
  const rngB = new Rng(3);
  assert.deepEqual(
    Array.from(a.act(obs, { deterministic: false, rng: rngA })),
    Array.from(b.act(obs, { deterministic: false, rng: rngB })),
  );
  assert.deepEqual(Array.from(b.obsNormalizer.stats.mean), Array.from(a.obsNormalizer.stats.mean));
  const logStd = tf.tidy(() =>
    b.distribution(tf.tensor2d(obs, [1, 3])).logStd.dataSync() as Float32Array
  );
  assert.ok(Math.abs(logStd[0] + 0.5) < 1e-6 && Math.abs(logStd[1] + 0.5) < 1e-6);
  const wrong = new GaussianPolicy(
    SPEC,
    { ...defaultsOf(GAUSSIAN_SCHEMA), hidden: [4] },
    new Rng(0),
  );
  assert.throws(() => wrong.loadWeights(a.weights()), /shape/);
  for (const p of [a, b, wrong]) p.dispose();
});

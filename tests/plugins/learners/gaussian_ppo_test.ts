/**
 * The fused Gaussian PPO loss against its tensor form (gaussianPpoTerms + ppoLoss, the graph
 * PPO builds): the same loss, statistics and gradients to the bit on the wasm backend, on
 * random minibatches where the ratio and value clips are active for part of the rows; and its
 * gradient against finite differences.
 */
import assert from "node:assert/strict";
import { Rng } from "../../../core/rng.ts";
import { tf } from "../../../core/tensor/tf.ts";
import { useBackend } from "../../../core/tensor/backend.ts";
import {
  fusedGaussianPpoAvailable,
  fusedGaussianPpoLoss,
  type GaussianPpoBatch,
  type GaussianPpoOptions,
  gaussianPpoTerms,
} from "../../../plugins/learners/gaussian_ppo.ts";
import { advantagesOf, ppoLoss } from "../../../plugins/learners/ppo_objective.ts";
import { assertGradientMatchesFiniteDifferences, float32Bits as bits } from "../../helpers.ts";

await useBackend("wasm");

const normal = (rng: Rng, n: number, scale = 1, shift = 0) =>
  Float32Array.from({ length: n }, () => shift + scale * rng.normal());

/** A minibatch whose old log densities put the ratios around [0.6, 1.5] (clipped at 0.2). */
function problem(seed: number, B: number, A: number) {
  const rng = new Rng(seed);
  const mean = normal(rng, B * A, 0.5);
  const logStd = normal(rng, A, 0.3, -0.5);
  const u = Float32Array.from(mean, (m, k) => m + Math.exp(logStd[k % A]) * rng.normal());
  const logProb = tf.tidy(() => {
    const logStdRows = tf.mul(tf.ones([B, A]), tf.tensor2d(logStd, [1, A]));
    return gaussianPpoTerms(
      { mean: tf.tensor2d(mean, [B, A]), logStd: logStdRows as tf.Tensor2D },
      tf.tensor2d(u, [B, A]),
      tf.zeros([B]),
      0,
    ).logRatio.dataSync() as Float32Array;
  });
  const value = normal(rng, B, 1);
  const batch: GaussianPpoBatch = {
    u,
    oldLogProb: Float32Array.from(logProb, (lp) => lp + 0.25 * rng.normal()),
    advantages: normal(rng, B),
    oldValues: Float32Array.from(value, (v) => v + 0.3 * rng.normal()),
    returns: normal(rng, B, 1.5),
  };
  return { mean, logStd, value, batch };
}

/** The graph PPO builds: log std broadcast as the policy does, terms, loss, + extra loss. */
function tensorForm(
  mean: tf.Tensor2D,
  logStd: tf.Tensor,
  value: tf.Tensor,
  batch: GaussianPpoBatch,
  options: GaussianPpoOptions,
) {
  const B = mean.shape[0];
  const dist = { mean, logStd: tf.mul(tf.onesLike(mean), logStd) as tf.Tensor2D };
  const terms = gaussianPpoTerms(
    dist,
    tf.tensor2d(batch.u, mean.shape),
    tf.tensor1d(batch.oldLogProb),
    options.entCoef,
  );
  const out = ppoLoss(terms.logRatio, tf.squeeze(value, [1]) as tf.Tensor1D, {
    advantages: tf.tensor1d(batch.advantages),
    returns: tf.tensor1d(batch.returns),
    values: tf.tensor1d(batch.oldValues),
  }, options);
  assert.equal(out.pgLoss.shape.length, 0);
  return {
    loss: tf.add(out.loss, terms.extraLoss!) as tf.Scalar,
    stats: [out.pgLoss, out.vLoss, out.kl, out.clipfrac, terms.diagnostics!.entropy],
    rows: B,
  };
}

const CASES: [string, GaussianPpoOptions][] = [
  ["clipped value loss, no entropy bonus", {
    clipCoef: 0.2,
    clipVloss: true,
    vfCoef: 0.5,
    entCoef: 0,
  }],
  ["plain value loss, entropy bonus", {
    clipCoef: 0.1,
    clipVloss: false,
    vfCoef: 1,
    entCoef: 0.01,
  }],
];

for (const [label, options] of CASES) {
  for (const [B, A] of [[256, 17], [7, 3]]) {
    Deno.test(`fused Gaussian PPO loss = tensor form to the bit (${label}, ${B}x${A})`, () => {
      assert.ok(fusedGaussianPpoAvailable());
      const p = problem(B * 31 + A, B, A);
      const vars = [
        tf.variable(tf.tensor2d(p.mean, [B, A])),
        tf.variable(tf.tensor2d(p.logStd, [1, A])),
        tf.variable(tf.tensor2d(p.value, [B, 1])),
      ];
      const [mean, logStd, value] = vars;
      let tensorStats: number[] = [];
      const expected = tf.variableGrads(() => {
        const t = tensorForm(mean as tf.Tensor2D, logStd, value, p.batch, options);
        tensorStats = t.stats.map((s) => s.dataSync()[0]);
        return t.loss;
      }, vars);
      let fusedStats: number[] = [];
      const got = tf.variableGrads(() => {
        const f = fusedGaussianPpoLoss(mean as tf.Tensor2D, logStd, value, p.batch, options);
        const s = f.stats;
        fusedStats = [s.pg_loss, s.value_loss, s.approx_kl, s.clipfrac, s.entropy];
        return f.loss;
      }, vars);
      // the problem exercises both sides of every clip
      assert.ok(tensorStats[3] > 0 && tensorStats[3] < 1, `clipfrac ${tensorStats[3]}`);
      assert.deepEqual(bits(fusedStats), bits(tensorStats), "statistics");
      assert.deepEqual(
        bits(got.value.dataSync() as Float32Array),
        bits(expected.value.dataSync() as Float32Array),
        "loss",
      );
      for (const v of vars) {
        assert.deepEqual(
          bits(got.grads[v.name].dataSync() as Float32Array),
          bits(expected.grads[v.name].dataSync() as Float32Array),
          `gradient of ${v.shape}`,
        );
      }
      tf.dispose([...vars, got.value, expected.value, ...Object.values(got.grads)]);
      tf.dispose(Object.values(expected.grads));
    });
  }
}

Deno.test("fused Gaussian PPO loss: gradient matches finite differences", () => {
  const [B, A] = [6, 2];
  const p = problem(5, B, A);
  // float64-sized steps on a smooth stretch: no row at a clip edge for these draws
  const vars = [
    tf.variable(tf.tensor2d(p.mean, [B, A])),
    tf.variable(tf.tensor2d(p.logStd, [1, A])),
    tf.variable(tf.tensor2d(p.value, [B, 1])),
  ];
  const options = { clipCoef: 0.2, clipVloss: true, vfCoef: 0.5, entCoef: 0.01 };
  const coordinates: [number, number][] = [[0, 0], [0, 3], [0, 11], [1, 0], [1, 1], [2, 0], [
    2,
    4,
  ]];
  assertGradientMatchesFiniteDifferences(
    () => fusedGaussianPpoLoss(vars[0] as tf.Tensor2D, vars[1], vars[2], p.batch, options).loss,
    vars,
    coordinates,
    { eps: 1e-3, tolerance: 2e-2 },
  );
  tf.dispose(vars);
});

Deno.test("fused Gaussian PPO loss runs on the wasm backend only", async () => {
  await useBackend("cpu");
  try {
    assert.equal(fusedGaussianPpoAvailable(), false);
  } finally {
    await useBackend("wasm");
  }
});

for (const n of [256, 7]) {
  Deno.test(`advantagesOf = tf.moments' normalisation to the bit (n = ${n})`, () => {
    const a = normal(new Rng(n), n, 3, 0.7);
    const expected = tf.tidy(() => {
      const t = tf.tensor1d(a);
      const { mean, variance } = tf.moments(t);
      return tf.div(tf.sub(t, mean), tf.add(tf.sqrt(variance), 1e-8));
    });
    assert.deepEqual(bits(advantagesOf(a, true)), bits(expected.dataSync() as Float32Array));
    assert.equal(advantagesOf(a, false), a);
    expected.dispose();
  });
}

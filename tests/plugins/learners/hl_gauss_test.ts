import assert from "node:assert/strict";
import { Rng } from "../../../core/mod.ts";
import { tf, useBackend } from "../../../core/tensor/mod.ts";
import {
  binCenters,
  CategoricalCritic,
  erf,
  hlGaussTargets,
  hlGaussValue,
  softLambdaReturns,
} from "../../../plugins/learners/mod.ts";
import { assertGradientMatchesFiniteDifferences } from "../../helpers.ts";

await useBackend("wasm");

const close = (a: ArrayLike<number>, b: number[], tol: number) =>
  b.forEach((v, i) => assert.ok(Math.abs(a[i] - v) < tol, `[${i}] ${a[i]} vs ${v}`));

Deno.test("erf: known values", () => {
  close(
    [erf(0), erf(0.5), erf(-1.3), erf(2.2)],
    [0, 0.5204998778, -0.9340079449, 0.9981371537],
    2e-7,
  );
});

Deno.test("hl-gauss: target masses equal the Gaussian's bin masses by hand (sigma = 0.75 bins), clipped and renormalised", () => {
  // 3 bins centred at 0, 1, 2 (edges -0.5, 0.5, 1.5, 2.5), sigma 0.75:
  // y = 1: masses Phi(+-2), Phi(+-2/3) differences over their sum
  const support = { bins: 3, vmin: 0, vmax: 2 };
  assert.deepEqual(Array.from(binCenters(support)), [0, 1, 2]);
  const t = hlGaussTargets([1, 0.5, 7], support);
  close(t.subarray(0, 3), [0.2406940483, 0.5186119034, 0.2406940483], 1e-6);
  close(t.subarray(3, 6), [0.4517210740, 0.4517210740, 0.0965578519], 1e-6);
  // 7 is clipped to vmax = 2
  close(t.subarray(6, 9), [0.0298778168, 0.3075211450, 0.6626010383], 1e-6);
  // the expectation of the centres under the masses of an inner value is that value
  const wide = { bins: 41, vmin: -4, vmax: 4 };
  const centers = binCenters(wide);
  const m = hlGaussTargets([0.77], wide);
  assert.ok(Math.abs(m.reduce((s, p, i) => s + p * centers[i], 0) - 0.77) < 1e-4);
  const v = tf.tidy(() =>
    hlGaussValue(tf.log(tf.tensor2d(m, [1, 41])) as tf.Tensor2D, tf.tensor1d(centers))
      .dataSync()[0]
  );
  assert.ok(Math.abs(v - 0.77) < 1e-4, `${v}`);
});

Deno.test("soft TD(lambda) targets: by hand over terminated, truncated and running episodes", () => {
  // 2 envs x 3 steps, time-major; gamma 0.5, lambda 0.8
  const soft = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const q = Float32Array.from([10, 20, 30, 40, 50, 60]);
  const terminated = Uint8Array.from([0, 0, 1, 0, 0, 0]);
  const truncated = Uint8Array.from([0, 1, 0, 0, 0, 0]);
  const g = softLambdaReturns(
    { softRewards: soft, nextValues: q, terminated, truncated },
    { numEnvs: 2, gamma: 0.5, lambda: 0.8 },
  );
  // env 0: t=2 bootstraps (last step) 5 + .5*50 = 30; t=1 terminated: 3;
  //        t=0: 1 + .5 (.8*3 + .2*10) = 3.2
  // env 1: t=2: 6 + .5*60 = 36; t=1: 4 + .5 (.8*36 + .2*40) = 22.4; t=0 truncated: 2 + .5*20 = 12
  close(g, [3.2, 12, 3, 22.4, 30, 36], 1e-5);
});

function critic(seed: number) {
  return new CategoricalCritic(3, new Rng(seed), {
    hidden: 8,
    bins: 11,
    vmin: -2,
    vmax: 3,
    lr: 1e-2,
    maxGradNorm: 10,
  });
}

function batchOf(B: number, target: number) {
  const rng = new Rng(9);
  return {
    input: tf.tensor2d(rng.fillNormal(new Float32Array(B * 3)), [B, 3]),
    target: new Float32Array(B).fill(target),
    reward: tf.tensor1d(rng.fillNormal(new Float32Array(B))),
    nextFeatures: tf.tensor2d(rng.fillNormal(new Float32Array(B * 8)), [B, 8]),
    auxMask: tf.tensor1d(Float32Array.from({ length: B }, (_, i) => i % 2)),
  };
}

Deno.test("categorical critic: loss gradients (LayerNorm layers, both heads) match finite differences", () => {
  const c = critic(1);
  const batch = batchOf(5, 0.6);
  const vars = c.variables();
  // encoder first dense w, its LayerNorm scale, Q-head output w, aux-head output b
  assertGradientMatchesFiniteDifferences(() => c.loss(batch, 0.7).loss, vars, [
    [0, 3],
    [2, 1],
    [10, 4],
    [vars.length - 1, 2],
  ], { eps: 1e-3 });
  c.dispose();
});

Deno.test("categorical critic: fitting a constant target moves Q to it", () => {
  const c = critic(2);
  const batch = batchOf(16, 1.3);
  for (let i = 0; i < 150; i++) c.fit(batch, 1);
  const q = c.evaluate(batch.input).value;
  for (const v of q) assert.ok(Math.abs(v - 1.3) < 0.1, `${v}`);
  c.dispose();
});

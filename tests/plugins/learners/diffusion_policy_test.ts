import assert from "node:assert/strict";
import { box, Rng } from "../../../core/mod.ts";
import { tf, useBackend } from "../../../core/tensor/mod.ts";
import { defaultsOf, validate } from "../../../core/schema.ts";
import type { Dense } from "../../../core/tensor/nn.ts";
import {
  DIFFUSION_SCHEMA,
  type DiffusionParams,
  DiffusionPolicy,
  initialDt,
} from "../../../plugins/diffusion_policy/mod.ts";
import { assertGradientMatchesFiniteDifferences, throwsConfig } from "../../helpers.ts";

await useBackend("wasm");

const OBS_DIM = 3;
const ACT_DIM = 2;
const SPEC = {
  observationSpace: box(-10, 10, OBS_DIM),
  actionSpace: box([-2, -1], [2, 3]),
};

function policy(overrides: Partial<DiffusionParams> = {}, seed = 1): DiffusionPolicy {
  return new DiffusionPolicy(
    SPEC,
    { ...defaultsOf(DIFFUSION_SCHEMA), hidden: [16, 16], ...overrides },
    new Rng(seed),
  );
}

const softplus = (x: number) => Math.log1p(Math.exp(x));
const silu = (x: number) => x / (1 + Math.exp(-x));
const read = (t: tf.Tensor) => Float64Array.from(t.dataSync());

/** tf.tidy for a function returning plain data (every tensor made inside is freed). */
function tidy<T>(fn: () => T): T {
  let out!: T;
  tf.tidy(() => {
    out = fn();
  });
  return out;
}

/** Sets a dense layer's weights and bias to U(-scale, scale) draws. */
function randomizeLayer(layer: Dense, rng: Rng, scale: number): void {
  const w = new Float32Array(layer.inputs * layer.outputs).map(() =>
    rng.uniformRange(-scale, scale)
  );
  const b = new Float32Array(layer.outputs).map(() => rng.uniformRange(-scale, scale));
  layer.w.assign(tf.tensor2d(w, [layer.inputs, layer.outputs]));
  layer.b.assign(tf.tensor1d(b));
}

/** Makes f nonzero: random values in the score network's (zero-initialised) output layer. */
function randomizeScoreOutput(p: DiffusionPolicy, rng: Rng, scale = 0.3): void {
  randomizeLayer(p.scoreNet.layers[p.scoreNet.layers.length - 1], rng, scale);
}

/** Float64 forward pass of an Mlp (silu hidden activations, linear output) for one input row. */
function mlp64(layers: Dense[], x: number[]): number[] {
  let h = x;
  layers.forEach((layer, li) => {
    const w = read(layer.w);
    const b = read(layer.b);
    const out: number[] = [];
    for (let j = 0; j < layer.outputs; j++) {
      let s = b[j];
      for (let i = 0; i < layer.inputs; i++) s += h[i] * w[i * layer.outputs + j];
      out.push(li < layers.length - 1 ? silu(s) : s);
    }
    h = out;
  });
  return h;
}

/** f(a, s, k) in float64 from the spec: score MLP over [a, s, timeMlp(sin/cos(k/K freq + phase))]. */
function score64(p: DiffusionPolicy, obs: number[], a: number[], k: number): number[] {
  const freq = read(p.fourierFreq);
  const phase = read(p.fourierPhase);
  const angles = Array.from(freq, (f, i) => (k / p.steps) * f + phase[i]);
  const emb = mlp64(p.timeNet.layers, [...angles.map(Math.sin), ...angles.map(Math.cos)]);
  return mlp64(p.scoreNet.layers, [...a, ...obs, ...emb]);
}

/** eta_k per dim in float64: softplus(dtParam[k-1]) / softplus(frictionParam[d]). */
function eta64(p: DiffusionPolicy, k: number): number[] {
  const dt = read(p.dtParam);
  const friction = read(p.frictionParam);
  return Array.from(friction, (w) => softplus(dt[k - 1]) / softplus(w));
}

/** Diagonal Gaussian log density with variance 2 eta, summed over dims (float64). */
function logNormal64(x: number[], mean: number[], eta: number[]): number {
  let s = 0;
  for (let d = 0; d < x.length; d++) {
    s += -0.5 * Math.log(4 * Math.PI * eta[d]) - (x[d] - mean[d]) ** 2 / (4 * eta[d]);
  }
  return s;
}

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );
}

function meanStd(x: ArrayLike<number>): { mean: number; variance: number; se: number } {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  m /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - m) ** 2;
  v /= x.length - 1;
  return { mean: m, variance: v, se: Math.sqrt(v / x.length) };
}

Deno.test("diffusion policy: the score network's output layer starts at zero, so f = 0", () => {
  const p = policy();
  const rng = new Rng(7);
  const out = tidy(() => {
    const x = tf.tensor2d(
      new Float32Array(32 * (ACT_DIM + OBS_DIM + 32)).map(() => 3 * rng.normal()),
      [32, ACT_DIM + OBS_DIM + 32],
    );
    return p.scoreNet.apply(x).dataSync();
  });
  assert.equal(out.length, 32 * ACT_DIM);
  assert.ok(out.every((v) => v === 0), "f is exactly zero at init");
  const last = p.scoreNet.layers[p.scoreNet.layers.length - 1];
  assert.ok(read(last.w).every((v) => v === 0) && read(last.b).every((v) => v === 0));
  // the hidden layers are not zero (the network can learn)
  assert.ok(read(p.scoreNet.layers[0].w).some((v) => v !== 0));
  p.dispose();
});

Deno.test("diffusion policy: initial eta_k = initialDt(k, K, 0.125, 0.17) / 0.25 per dim", () => {
  const p = policy();
  assert.equal(p.steps, 8);
  const ks = [1, 2, 3, 4, 5, 6, 7, 8];
  const eta = tidy(() => read(p.eta(tf.tensor1d(ks, "int32"))));
  assert.equal(eta.length, 8 * ACT_DIM);
  for (const k of ks) {
    const expected = initialDt(k, 8, 0.125, 0.17) / 0.25;
    // the schedule itself: 0.125 * ((1 - k/8) * 0.17 + k/8)
    close(expected, 0.5 * ((1 - k / 8) * 0.17 + k / 8), 1e-12, "schedule");
    for (let d = 0; d < ACT_DIM; d++) close(eta[(k - 1) * ACT_DIM + d], expected, 1e-5, `eta_${k}`);
  }
  // mixed, unordered k in one batch gathers the right step per sample
  const mixed = tidy(() => read(p.eta(tf.tensor1d([8, 1, 5], "int32"))));
  close(mixed[0], initialDt(8, 8, 0.125, 0.17) / 0.25, 1e-5, "eta_8");
  close(mixed[2], initialDt(1, 8, 0.125, 0.17) / 0.25, 1e-5, "eta_1");
  close(mixed[4], initialDt(5, 8, 0.125, 0.17) / 0.25, 1e-5, "eta_5");
  p.dispose();
});

/** A policy with nonzero f, perturbed step sizes and a different friction per action dim. */
function perturbedPolicy(overrides: Partial<DiffusionParams> = {}, seed = 3): DiffusionPolicy {
  const p = policy(overrides, seed);
  const rng = new Rng(seed + 100);
  randomizeScoreOutput(p, rng);
  const dt = read(p.dtParam).map((v) => v + rng.uniformRange(-0.3, 0.3));
  p.dtParam.assign(tf.tensor1d(Float32Array.from(dt)));
  p.frictionParam.assign(tf.tensor2d([[-1.2, -0.6]]));
  return p;
}

Deno.test("diffusion policy: logDensities matches hand-computed Gaussian kernels (mixed k)", () => {
  const p = perturbedPolicy();
  const rng = new Rng(11);
  const ks = [1, 3, 8, 2, 5, 8, 7];
  const B = ks.length;
  const obs = Array.from({ length: B }, () => [0, 0, 0].map(() => rng.normal()));
  const a = Array.from({ length: B }, () => [0, 0].map(() => 3 * rng.normal()));
  const prev = a.map((row) => row.map((v) => 0.9 * v + 0.5 * rng.normal()));
  const { logQ, logRatio, eta } = tidy(() => {
    const k = tf.tensor1d(ks, "int32");
    const out = p.logDensities(
      tf.tensor2d(obs.flat(), [B, OBS_DIM]),
      tf.tensor2d(a.flat(), [B, ACT_DIM]),
      tf.tensor2d(prev.flat(), [B, ACT_DIM]),
      k,
    );
    return { logQ: read(out.logQ), logRatio: read(out.logRatio), eta: read(p.eta(k)) };
  });
  const s2 = p.sigma0 ** 2;
  for (let b = 0; b < B; b++) {
    const e = eta64(p, ks[b]);
    assert.notEqual(e[0], e[1], "friction differs per dim");
    close(eta[b * 2], e[0], 1e-5, "eta dim 0");
    close(eta[b * 2 + 1], e[1], 1e-5, "eta dim 1");
    const f = score64(p, obs[b], a[b], ks[b]);
    assert.ok(Math.abs(f[0]) > 1e-3, "f is nonzero");
    const meanQ = a[b].map((x, d) => x + e[d] * (-x / s2 + f[d]));
    const meanPi = prev[b].map((x, d) => x - e[d] * x / s2);
    const lq = logNormal64(prev[b], meanQ, e);
    const lpi = logNormal64(a[b], meanPi, e);
    close(logQ[b], lq, 1e-4, `logQ[${b}] (k=${ks[b]})`);
    close(logRatio[b], lq - lpi, 1e-4, `logRatio[${b}] (k=${ks[b]})`);
  }
  // logNoising on its own
  const lpi = tidy(() =>
    read(p.logNoising(
      tf.tensor2d(a[0], [1, 2]),
      tf.tensor2d(prev[0], [1, 2]),
      tf.tensor2d(eta64(p, ks[0]), [1, 2]),
    ))
  );
  const e0 = eta64(p, ks[0]);
  close(lpi[0], logNormal64(a[0], prev[0].map((x, d) => x - e0[d] * x / s2), e0), 1e-4, "logPi");
  p.dispose();
});

Deno.test("diffusion policy: denoise = mean + sqrt(2 eta) noise, with logDensities' log ratio", () => {
  const p = perturbedPolicy();
  const rng = new Rng(12);
  const ks = [4, 1, 8, 6];
  const B = ks.length;
  const obs = new Float32Array(B * OBS_DIM).map(() => rng.normal());
  const a = new Float32Array(B * ACT_DIM).map(() => 3 * rng.normal());
  const noise = new Float32Array(B * ACT_DIM).map(() => rng.normal());
  tidy(() => {
    const o = tf.tensor2d(obs, [B, OBS_DIM]);
    const x = tf.tensor2d(a, [B, ACT_DIM]);
    const k = tf.tensor1d(ks, "int32");
    const step = p.denoise(o, x, k, tf.tensor2d(noise, [B, ACT_DIM]));
    const { mean, eta } = p.denoiseMean(o, x, k);
    const m = read(mean);
    const e = read(eta);
    const next = read(step.next);
    for (let i = 0; i < B * ACT_DIM; i++) {
      close(next[i], m[i] + Math.sqrt(2 * e[i]) * noise[i], 1e-5, `next[${i}]`);
    }
    const dens = p.logDensities(o, x, step.next, k);
    const lr = read(step.logRatio);
    const expected = read(dens.logRatio);
    for (let b = 0; b < B; b++) close(lr[b], expected[b], 1e-4, `logRatio[${b}]`);
    // and log q of the drawn step is the standard-normal density of the noise
    const lq = read(dens.logQ);
    for (let b = 0; b < B; b++) {
      let hand = 0;
      for (let d = 0; d < ACT_DIM; d++) {
        hand += -0.5 * Math.log(4 * Math.PI * e[b * 2 + d]) - 0.5 * noise[b * 2 + d] ** 2;
      }
      close(lq[b], hand, 1e-4, `logQ[${b}]`);
    }
  });
  p.dispose();
});

Deno.test("diffusion policy: sampleChain is the prior draw then denoise steps K..1 in noise-slot order", () => {
  const p = perturbedPolicy({ diffusionSteps: 4 }, 9);
  const rng = new Rng(13);
  const B = 3;
  const K = 4;
  const obs = new Float32Array(B * OBS_DIM).map(() => rng.normal());
  const noise = p.chainNoise(B, rng);
  assert.equal(noise.length, B * (K + 1) * ACT_DIM);
  tidy(() => {
    const o = tf.tensor2d(obs, [B, OBS_DIM]);
    const chain = p.sampleChain(o, tf.tensor3d(noise, [B, K + 1, ACT_DIM]));
    const slot = (j: number) => {
      const out = new Float32Array(B * ACT_DIM);
      for (let b = 0; b < B; b++) {
        for (let d = 0; d < ACT_DIM; d++) {
          out[b * ACT_DIM + d] = noise[(b * (K + 1) + j) * ACT_DIM + d];
        }
      }
      return tf.tensor2d(out, [B, ACT_DIM]);
    };
    let a = tf.mul(slot(0), p.sigma0) as tf.Tensor2D;
    const expectLatent = (x: tf.Tensor, i: number) => {
      const got = read(chain.latents[i]);
      read(x).forEach((v, j) => close(got[j], v, 1e-5, `latent ${i}[${j}]`));
    };
    expectLatent(a, 0);
    let sum = new Float64Array(B);
    for (let k = K; k >= 1; k--) {
      const step = p.denoise(o, a, tf.fill([B], k, "int32") as tf.Tensor1D, slot(K - k + 1));
      a = step.next;
      expectLatent(a, K - k + 1);
      const got = read(chain.logRatios[K - k]);
      const lr = read(step.logRatio);
      lr.forEach((v, b) => close(got[b], v, 1e-4, `l_${k}[${b}]`));
      sum = sum.map((s, b) => s + lr[b]);
    }
    const total = read(chain.logRatioSum);
    sum.forEach((v, b) => close(total[b], v, 1e-4, `sum l[${b}]`));
  });
  p.dispose();
});

/** Runs the chain on zero observations with seeded noise; returns a^0 and sum_k l_k. */
function runChain(p: DiffusionPolicy, batch: number, seed: number) {
  const noise = p.chainNoise(batch, new Rng(seed));
  return tidy(() => {
    const chain = p.sampleChain(
      tf.zeros([batch, OBS_DIM]) as tf.Tensor2D,
      tf.tensor3d(noise, [batch, p.steps + 1, ACT_DIM]),
    );
    assert.equal(chain.latents.length, p.steps + 1);
    assert.equal(chain.logRatios.length, p.steps);
    return { a0: read(chain.latents[p.steps]), l: read(chain.logRatioSum) };
  });
}

/**
 * Closed form of the uncontrolled (f = 0) chain, per action dim: a^K ~ N(0, sigma0^2),
 * a^{k-1} = c_k a^k + sqrt(2 eta_k) z with c_k = 1 - eta_k / sigma0^2, so Var[a^{k-1}] =
 * c_k^2 v_k + 2 eta_k. For l_k: E[log q] = -0.5 log(4 pi eta_k) - 0.5 and, since
 * a^k - c_k a^{k-1} = (1 - c_k^2) a^k - c_k sqrt(2 eta_k) z,
 * E[log pi(a^k|a^{k-1})] = -0.5 log(4 pi eta_k) - ((1 - c_k^2)^2 v_k + 2 eta_k c_k^2) / (4 eta_k).
 */
function uncontrolledClosedForm(K: number, sigma0: number, dtScale: number) {
  const s2 = sigma0 ** 2;
  let v = s2;
  let expectedL = 0;
  const steps: { eta: number; c: number; v: number }[] = [];
  for (let k = K; k >= 1; k--) {
    const eta = initialDt(k, K, dtScale, 0.17) / 0.25;
    const c = 1 - eta / s2;
    const e2 = (1 - c * c) ** 2 * v + 2 * eta * c * c;
    const eLogQ = -0.5 * Math.log(4 * Math.PI * eta) - 0.5;
    const eLogPi = -0.5 * Math.log(4 * Math.PI * eta) - e2 / (4 * eta);
    expectedL += eLogQ - eLogPi;
    steps.push({ eta, c, v });
    v = c * c * v + 2 * eta;
  }
  return { expectedL: ACT_DIM * expectedL, v0: v, steps };
}

/** Monte-Carlo E[sum_k l_k] against the closed form, and the entropy bound. */
function checkClosedForm(K: number, overrides: Partial<DiffusionParams>): void {
  const p = policy({ diffusionSteps: K, ...overrides });
  const s2 = p.sigma0 ** 2;
  const { expectedL, v0, steps } = uncontrolledClosedForm(K, p.sigma0, p.params.dtScale);
  const n = 20000;
  const { a0, l } = runChain(p, n, 21);
  const stats = meanStd(l);
  assert.ok(
    Math.abs(stats.mean - expectedL) < 4 * stats.se,
    `E[sum l]: Monte Carlo ${stats.mean} +- ${stats.se} vs closed form ${expectedL}`,
  );
  // the exact marginal of a^0: N(0, v0) per dim (c^2 sigma0^2 + 2 eta for K = 1)
  if (K === 1) close(v0, steps[0].c ** 2 * s2 + 2 * steps[0].eta, 1e-12, "v0");
  close(meanStd(a0).variance, v0, 0.03, "Var[a^0]");

  // H[q(a^0)] >= H[p0] - E[sum l], in closed form and with the Monte-Carlo estimate
  const entropy = (v: number) => ACT_DIM * 0.5 * Math.log(2 * Math.PI * Math.E * v);
  const gap = entropy(v0) - (entropy(s2) - expectedL);
  assert.ok(gap >= -1e-12, `entropy bound violated: gap ${gap}`);
  assert.ok(entropy(s2) - stats.mean <= entropy(v0) + 4 * stats.se);
  if (K === 1) {
    // the gap is E KL(q(a^1|a^0) || pi(a^1|a^0)), both Gaussian
    const { eta, c } = steps[0];
    const vPost = s2 * 2 * eta / v0; // Var[a^1 | a^0]
    const meanErr2 = c * c * (s2 - v0) ** 2 / v0; // E[(E[a^1|a^0] - c a^0)^2]
    const kl = ACT_DIM * 0.5 *
      (Math.log(2 * eta / vPost) + vPost / (2 * eta) + meanErr2 / (2 * eta) - 1);
    close(gap, kl, 1e-9, "bound gap = E KL");
  }
  p.dispose();
}

Deno.test({
  name: "diffusion policy: K = 1 closed form of E[l_1] and the entropy bound, defaults",
  fn: () => checkClosedForm(1, {}),
});

Deno.test({
  name:
    "diffusion policy: K = 1 closed form of E[l_1] and the entropy bound, sigma0 = 1, eta = 0.75",
  fn: () => checkClosedForm(1, { sigma0: 1, dtScale: 0.1875 }),
});

Deno.test("diffusion policy: K = 4 closed form of E[sum l_k] and the entropy bound, sigma0 = 1", () => {
  checkClosedForm(4, { sigma0: 1, dtScale: 0.1875 });
});

for (
  const [label, overrides] of [
    ["defaults", {}],
    ["sigma0 = 1", { sigma0: 1 }],
  ] as [string, Partial<DiffusionParams>][]
) {
  Deno.test(`diffusion policy: uncontrolled K = 4 chain has the recursion's variance, ${label}`, () => {
    const p = policy({ diffusionSteps: 4, ...overrides });
    const s2 = p.sigma0 ** 2;
    let v = s2;
    for (let k = 4; k >= 1; k--) {
      const eta = initialDt(k, 4, 0.125, 0.17) / 0.25;
      const c = 1 - eta / s2;
      v = c * c * v + 2 * eta;
    }
    const n = 20000;
    const { a0 } = runChain(p, n, 31);
    for (let d = 0; d < ACT_DIM; d++) {
      const dim = a0.filter((_: number, i: number) => i % ACT_DIM === d);
      const stats = meanStd(dim);
      assert.ok(Math.abs(stats.mean) < 4 * stats.se, `mean[${d}] ${stats.mean} (se ${stats.se})`);
      close(stats.variance, v, 0.03, `Var[a^0_${d}] (recursion ${v}, prior ${s2})`);
    }
    p.dispose();
  });
}

Deno.test("diffusion policy: chain log-ratio gradient matches finite differences (K = 3)", () => {
  const p = perturbedPolicy({ diffusionSteps: 3, activation: "tanh" }, 5);
  const rng = new Rng(41);
  const B = 4;
  const obs = tf.tensor2d(new Float32Array(B * OBS_DIM).map(() => rng.normal()), [B, OBS_DIM]);
  const noise = tf.tensor3d(p.chainNoise(B, rng), [B, 4, ACT_DIM]);
  const vars = p.trainableVariables();
  assert.equal(vars.length, 12, "score 3x(w, b), time 2x(w, b), dt, friction");
  const [scoreW, scoreB, timeW, dt, friction] = [4, 5, 6, 10, 11];
  assert.equal(vars[dt], p.dtParam);
  assert.equal(vars[friction], p.frictionParam);
  const loss = () => tf.mean(p.sampleChain(obs, noise).logRatioSum) as tf.Scalar;
  assertGradientMatchesFiniteDifferences(loss, vars, [
    [scoreW, 3],
    [scoreW, 20],
    [scoreB, 1],
    [timeW, 5],
    [dt, 0],
    [dt, 1],
    [dt, 2],
    [friction, 0],
    [friction, 1],
  ]);
  // reparameterisation: a loss through the final latent a^0
  const latentLoss = () =>
    tf.mean(tf.sum(tf.square(p.sampleChain(obs, noise).latents[3]), 1)) as tf.Scalar;
  assertGradientMatchesFiniteDifferences(latentLoss, vars, [
    [scoreW, 7],
    [scoreB, 0],
    [1, 2],
    [dt, 0],
    [dt, 2],
    [friction, 1],
  ]);
  // the gradient through a^0 is not zero (the chain is reparameterised, not detached)
  const { grads } = tf.variableGrads(latentLoss, vars);
  assert.ok(Math.abs(grads[vars[scoreB].name].dataSync()[0]) > 1e-3);
  tf.dispose([obs, noise, ...Object.values(grads)]);
  p.dispose();
});

for (const K of [1, 3]) {
  Deno.test(`diffusion policy: gradients reach every block of the score network's first layer (K = ${K})`, () => {
    // the chain and denoise() split the first layer's weight by input block [a, s, emb]
    const p = perturbedPolicy({ diffusionSteps: K, activation: "tanh" }, 8);
    const rng = new Rng(43);
    const B = 3;
    const obs = tf.tensor2d(new Float32Array(B * OBS_DIM).map(() => rng.normal()), [B, OBS_DIM]);
    const noise = tf.tensor3d(p.chainNoise(B, rng), [B, K + 1, ACT_DIM]);
    const vars = p.trainableVariables();
    const H = 16;
    // rows 0..1 multiply a^k, rows 2..4 s, rows 5.. the time embedding
    const firstLayer: [number, number][] = [[0, 1 * H + 4], [0, 3 * H + 2], [0, 10 * H + 7]];
    const chainLoss = () =>
      tf.add(
        tf.mean(p.sampleChain(obs, noise).logRatioSum),
        tf.mean(tf.sum(tf.square(p.sampleChain(obs, noise).latents[K]), 1)),
      ) as tf.Scalar;
    assertGradientMatchesFiniteDifferences(chainLoss, vars, [...firstLayer, [1, 5]]);
    const a = tf.tensor2d(new Float32Array(B * ACT_DIM).map(() => rng.normal()), [B, ACT_DIM]);
    const k = tf.tensor1d([K, 1, K], "int32");
    const stepNoise = tf.tensor2d(new Float32Array(B * ACT_DIM).map(() => rng.normal()), [
      B,
      ACT_DIM,
    ]);
    const stepLoss = () => tf.mean(p.denoise(obs, a, k, stepNoise).logRatio) as tf.Scalar;
    assertGradientMatchesFiniteDifferences(stepLoss, vars, [...firstLayer, [1, 5]]);
    tf.dispose([obs, noise, a, k, stepNoise]);
    p.dispose();
  });
}

Deno.test("diffusion policy: denoise log-ratio gradient with mixed k matches finite differences", () => {
  const p = perturbedPolicy({ activation: "tanh" }, 6);
  const rng = new Rng(42);
  const B = 5;
  const obs = tf.tensor2d(new Float32Array(B * OBS_DIM).map(() => rng.normal()), [B, OBS_DIM]);
  const a = tf.tensor2d(new Float32Array(B * ACT_DIM).map(() => 2 * rng.normal()), [B, ACT_DIM]);
  const noise = tf.tensor2d(new Float32Array(B * ACT_DIM).map(() => rng.normal()), [B, ACT_DIM]);
  const k = tf.tensor1d([8, 1, 3, 3, 6], "int32");
  const vars = p.trainableVariables();
  const loss = () => tf.mean(p.denoise(obs, a, k, noise).logRatio) as tf.Scalar;
  assertGradientMatchesFiniteDifferences(loss, vars, [
    [4, 2],
    [5, 1],
    [0, 10],
    [8, 4],
    [10, 0],
    [10, 2],
    [10, 5],
    [10, 7],
    [11, 0],
    [11, 1],
  ]);
  // steps no sample uses get no gradient
  const { grads } = tf.variableGrads(loss, vars);
  const gDt = grads[p.dtParam.name].dataSync();
  for (const unused of [1, 3, 4, 6]) assert.equal(gDt[unused], 0, `dt[${unused}]`);
  assert.ok(Math.abs(gDt[0]) > 1e-4 && Math.abs(gDt[7]) > 1e-4);
  tf.dispose([obs, a, noise, k, ...Object.values(grads)]);
  p.dispose();
});

Deno.test("diffusion policy: act is in the Box, deterministic is repeatable, sampling follows the seed", () => {
  const p = perturbedPolicy();
  const rng = new Rng(50);
  const B = 64;
  const obs = new Float32Array(B * OBS_DIM).map(() => rng.normal());
  const det1 = p.act(obs, { deterministic: true, rng: new Rng(1) });
  const det2 = p.act(obs, { deterministic: true, rng: new Rng(2) });
  assert.deepEqual(Array.from(det1), Array.from(det2));
  // deterministic = zero noise everywhere
  const zeroNoise = tidy(() =>
    read(
      p.sampleChain(
        p.obsTensor(obs),
        tf.zeros([B, p.steps + 1, ACT_DIM]) as tf.Tensor3D,
      ).latents[p.steps],
    )
  );
  const latent = p.latent(obs, { deterministic: true, rng: new Rng(1) });
  for (let i = 0; i < latent.length; i++) close(latent[i], zeroNoise[i], 1e-6, "latent");
  const a = p.act(obs, { deterministic: false, rng: new Rng(5) });
  const b = p.act(obs, { deterministic: false, rng: new Rng(5) });
  const c = p.act(obs, { deterministic: false, rng: new Rng(6) });
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.notDeepEqual(Array.from(a), Array.from(c));
  assert.notDeepEqual(Array.from(a), Array.from(det1));
  // act = squash(latent) rescaled, inside the Box
  const u = p.latent(obs, { deterministic: false, rng: new Rng(5) });
  for (const act of [det1, a, c]) {
    assert.equal(act.length, B * ACT_DIM);
    for (let i = 0; i < act.length; i++) {
      const d = i % ACT_DIM;
      assert.ok(act[i] >= SPEC.actionSpace.low[d] && act[i] <= SPEC.actionSpace.high[d]);
    }
  }
  for (let i = 0; i < u.length; i++) {
    const d = i % ACT_DIM;
    const y = Math.min(0.999, Math.max(-0.999, Math.tanh(u[i])));
    const low = SPEC.actionSpace.low[d];
    const high = SPEC.actionSpace.high[d];
    close(a[i], low + 0.5 * (y + 1) * (high - low), 1e-5, "squashed action");
  }
  p.dispose();
});

Deno.test("diffusion policy: weights round-trip (Fourier features, obs stats) reproduces act", () => {
  const a = perturbedPolicy({ normalizeObs: true }, 7);
  a.obsNormalizer.update(new Float32Array([1, 2, 3, 4, 5, 9, -2, 0, 1]), 3);
  const b = policy({ normalizeObs: true }, 99);
  const obs = new Float32Array([0.5, -1, 2, 1.5, 0.2, -0.7]);
  const actA = a.act(obs, { deterministic: false, rng: new Rng(3) });
  assert.notDeepEqual(
    Array.from(b.act(obs, { deterministic: false, rng: new Rng(3) })),
    Array.from(actA),
    "differently seeded policies differ before loading",
  );
  const w = a.weights();
  assert.ok(w["fourier/freq"] && w["fourier/phase"] && w["obs_norm/mean"]);
  b.loadWeights(w);
  assert.deepEqual(
    Array.from(b.act(obs, { deterministic: false, rng: new Rng(3) })),
    Array.from(actA),
  );
  assert.deepEqual(
    Array.from(b.act(obs, { deterministic: true, rng: new Rng(0) })),
    Array.from(a.act(obs, { deterministic: true, rng: new Rng(0) })),
  );
  assert.deepEqual(Array.from(b.fourierFreq.dataSync()), Array.from(a.fourierFreq.dataSync()));
  assert.deepEqual(Array.from(b.fourierPhase.dataSync()), Array.from(a.fourierPhase.dataSync()));
  assert.deepEqual(Array.from(b.obsNormalizer.stats.mean), Array.from(a.obsNormalizer.stats.mean));
  assert.deepEqual(Array.from(b.obsNormalizer.stats.var), Array.from(a.obsNormalizer.stats.var));
  assert.deepEqual(Array.from(b.dtParam.dataSync()), Array.from(a.dtParam.dataSync()));
  assert.deepEqual(Array.from(b.frictionParam.dataSync()), Array.from(a.frictionParam.dataSync()));

  // a wrong-size entry is refused
  const c = policy({ normalizeObs: true }, 8);
  const shortFreq = { ...w, "fourier/freq": { shape: [1, 3], data: new Float32Array(3) } };
  assert.throws(() => c.loadWeights(shortFreq), /fourier\/freq/);
  const noPhase = { ...w };
  delete noPhase["fourier/phase"];
  assert.throws(() => c.loadWeights(noPhase), /fourier\/phase/);
  const badDt = { ...w };
  const dtName = Object.keys(w).find((n) => w[n].shape.length === 1 && w[n].data.length === 8);
  assert.ok(dtName, "dt entry present");
  badDt[dtName] = { shape: [7], data: new Float32Array(7) };
  assert.throws(() => c.loadWeights(badDt), /shape/);
  const otherK = policy({ diffusionSteps: 4 }, 8);
  assert.throws(() => otherK.loadWeights(w), /shape/);
  const otherTime = policy({ timeFeatures: 8 }, 8);
  assert.throws(() => otherTime.loadWeights(w), /shape|fourier/);
  for (const p of [a, b, c, otherK, otherTime]) p.dispose();
});

Deno.test("diffusion policy: learnFriction false leaves the friction out of trainableVariables", () => {
  const learned = policy();
  const fixed = policy({ learnFriction: false });
  assert.ok(learned.trainableVariables().includes(learned.frictionParam));
  assert.ok(!fixed.trainableVariables().includes(fixed.frictionParam));
  assert.equal(fixed.trainableVariables().length, learned.trainableVariables().length - 1);
  assert.ok(fixed.trainableVariables().includes(fixed.dtParam));
  assert.equal(fixed.frictionParam.trainable, false);
  // still saved and restored with the weights
  fixed.frictionParam.assign(tf.tensor2d([[0.3, -0.4]]));
  learned.loadWeights(fixed.weights());
  assert.deepEqual(Array.from(learned.frictionParam.dataSync()), [0.3, -0.4].map(Math.fround));
  learned.dispose();
  fixed.dispose();
});

/** Builds a K-step policy with nonzero f and checks it samples finite actions and log ratios. */
function checkSamplesFinite(K: number): void {
  const obs = new Float32Array([0.1, -0.2, 0.3, 1, 0, -1]);
  const p = policy({ diffusionSteps: K }, K);
  randomizeScoreOutput(p, new Rng(K), 0.1);
  assert.equal(p.steps, K);
  assert.equal(p.dtParam.shape[0], K);
  for (const deterministic of [true, false]) {
    const act = p.act(obs, { deterministic, rng: new Rng(1) });
    assert.equal(act.length, 2 * ACT_DIM);
    assert.ok(act.every(Number.isFinite), `K = ${K}`);
  }
  const { l } = runChain(p, 8, K);
  assert.ok(l.every(Number.isFinite), `K = ${K} log ratios`);
  p.dispose();
}

Deno.test("diffusion policy: K in {2, 8, 32} builds and samples finite actions", () => {
  for (const K of [2, 8, 32]) checkSamplesFinite(K);
});

Deno.test({
  name: "diffusion policy: K = 1 builds and samples finite actions",
  fn: () => checkSamplesFinite(1),
});

Deno.test("diffusion policy: diffusionSteps 0 and 33 are refused by the schema", () => {
  const ok = validate(DIFFUSION_SCHEMA, { diffusionSteps: 32 }, "policyParams");
  assert.equal(ok.diffusionSteps, 32);
  assert.equal(validate(DIFFUSION_SCHEMA, { diffusionSteps: 1 }, "policyParams").diffusionSteps, 1);
  throwsConfig(
    () => validate(DIFFUSION_SCHEMA, { diffusionSteps: 33 }, "policyParams"),
    "diffusionSteps",
  );
  throwsConfig(
    () => validate(DIFFUSION_SCHEMA, { diffusionSteps: 0 }, "policyParams"),
    "diffusionSteps",
  );
  throwsConfig(
    () => validate(DIFFUSION_SCHEMA, { diffusionSteps: 2.5 }, "policyParams"),
    "diffusionSteps",
  );
});

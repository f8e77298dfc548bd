import assert from "node:assert/strict";
import { box, Rng } from "../../../core/mod.ts";
import { normalTensor, tf, useBackend } from "../../../core/tensor/mod.ts";
import { defaultsOf } from "../../../core/schema.ts";
import {
  detachedChains,
  DIFFUSION_SCHEMA,
  DiffusionPolicy,
  logPrior,
  logVarianceLoss,
  repeatRows,
} from "../../../plugins/learners/mod.ts";
import { assertGradientMatchesFiniteDifferences } from "../../helpers.ts";

await useBackend("wasm");

const K = 2;
const ALPHA = 0.5;
const OBS = [0.3, -0.8];

/** A small diffusion policy (obs 1, act 1) with a nonzero score network. */
function smallPolicy(seed: number): DiffusionPolicy {
  const policy = new DiffusionPolicy(
    { observationSpace: box(-1, 1, 1), actionSpace: box(-1, 1, 1) },
    {
      ...defaultsOf(DIFFUSION_SCHEMA),
      diffusionSteps: K,
      sigma0: 1,
      hidden: [8],
      timeHidden: 4,
      timeFeatures: 2,
    },
    new Rng(seed),
  );
  const rng = new Rng(seed + 50);
  const out = policy.scoreNet.layers[policy.scoreNet.layers.length - 1];
  for (const v of out.variables()) {
    v.assign(tf.tensor(rng.fillNormal(new Float32Array(v.size)).map((x) => 0.5 * x), v.shape));
  }
  return policy;
}

/** The known soft Q on the latent a^0: `-2 (a - 0.5)^2`. */
const knownQ = (a: tf.Tensor2D) => tf.mul(-2, tf.sum(tf.square(tf.sub(a, 0.5)), 1)) as tf.Tensor1D;

/** The variables that shape only the denoising kernel (not the noising one). */
const kernelVariables = (p: DiffusionPolicy) => [
  ...p.scoreNet.variables(),
  ...p.timeNet.variables(),
];

/** Fixed on-policy paths: M chains per state of OBS, drawn with `seed`. */
function paths(policy: DiffusionPolicy, M: number, seed: number, shift = 0) {
  const obs = repeatRows(tf.tensor2d(OBS, [OBS.length, 1]), M);
  const noise = normalTensor(new Rng(seed), [obs.shape[0], K + 1, 1]) as tf.Tensor3D;
  const latents = detachedChains(policy, obs, noise);
  const offset = tf.div(tf.add(knownQ(latents[K]), shift), -ALPHA) as tf.Tensor1D;
  return { obs, latents, offset };
}

function flatGrads(loss: () => tf.Scalar, vars: tf.Variable[]): Float64Array {
  const { value, grads } = tf.variableGrads(loss, vars);
  const out = vars.flatMap((v) => Array.from(grads[v.name].dataSync()));
  tf.dispose([value, ...Object.values(grads)]);
  return Float64Array.from(out);
}

Deno.test("log-variance: at the on-policy point its kernel gradient is twice the reverse-KL gradient", () => {
  const policy = smallPolicy(3);
  const vars = kernelVariables(policy);
  const M = 20000;
  // LV on detached on-policy chains: 2 Cov(R, grad log q) by the identity
  const p = paths(policy, M, 11);
  const lv = flatGrads(() => logVarianceLoss(policy, p, M).loss, vars);
  // the reverse KL E_q[R] by the reparameterised (pathwise) gradient, other draws
  const rows = OBS.length * M;
  const obs = repeatRows(tf.tensor2d(OBS, [OBS.length, 1]), M);
  const noise = normalTensor(new Rng(12), [rows, K + 1, 1]) as tf.Tensor3D;
  const kl = flatGrads(() => {
    const chain = policy.sampleChain(obs, noise);
    const r = tf.add(
      tf.add(chain.logRatioSum, logPrior(chain.latents[0], policy.sigma0)),
      tf.div(knownQ(chain.latents[K]), -ALPHA),
    );
    return tf.mean(r) as tf.Scalar;
  }, vars);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < lv.length; i++) {
    diff += (lv[i] - 2 * kl[i]) ** 2;
    norm += (2 * kl[i]) ** 2;
  }
  const rel = Math.sqrt(diff / norm);
  // Monte Carlo error of both estimators at 40000 chains each is a few percent
  assert.ok(norm > 1e-2, `the gradient is not trivially zero (|g|^2 = ${norm})`);
  assert.ok(rel < 0.1, `|grad LV - 2 grad KL| / |2 grad KL| = ${rel}`);
  tf.dispose([p.obs, ...p.latents, p.offset, obs, noise]);
  policy.dispose();
});

Deno.test("log-variance: a constant added to Q changes neither the loss nor its gradient", () => {
  const policy = smallPolicy(4);
  const vars = policy.trainableVariables();
  const M = 16;
  const a = paths(policy, M, 5);
  const b = paths(policy, M, 5, 123.5);
  const la = tf.tidy(() => logVarianceLoss(policy, a, M).loss.dataSync()[0]);
  const lb = tf.tidy(() => logVarianceLoss(policy, b, M).loss.dataSync()[0]);
  assert.ok(Math.abs(la - lb) < 1e-3 * Math.max(1, la), `${la} vs ${lb}`);
  const ga = flatGrads(() => logVarianceLoss(policy, a, M).loss, vars);
  const gb = flatGrads(() => logVarianceLoss(policy, b, M).loss, vars);
  for (let i = 0; i < ga.length; i++) {
    assert.ok(Math.abs(ga[i] - gb[i]) < 1e-3 * Math.max(1, Math.abs(ga[i])), `${i}`);
  }
  // and the loss is the sample variance of R by hand
  const r = tf.tidy(() => Array.from(logVarianceLoss(policy, a, M).logRatioR.dataSync()));
  let byHand = 0;
  for (let s = 0; s < OBS.length; s++) {
    const xs = r.slice(s * M, (s + 1) * M);
    const mean = xs.reduce((x, y) => x + y, 0) / M;
    byHand += xs.reduce((acc, x) => acc + (x - mean) ** 2, 0) / (M - 1) / OBS.length;
  }
  assert.ok(Math.abs(byHand - la) < 1e-4 * Math.max(1, la), `${byHand} vs ${la}`);
  policy.dispose();
});

Deno.test("log-variance: the gradient on fixed paths matches finite differences (dt, friction included)", () => {
  const policy = smallPolicy(6);
  const vars = policy.trainableVariables();
  const n = vars.length;
  const M = 4;
  const p = paths(policy, M, 7);
  assertGradientMatchesFiniteDifferences(
    () => logVarianceLoss(policy, p, M).loss,
    vars,
    [[0, 1], [2, 3], [3, 0], [4, 1], [n - 2, 0], [n - 2, 1], [n - 1, 0]],
  );
  assert.throws(() => logVarianceLoss(policy, p, 1), /samples must be an integer >= 2/);
  assert.throws(() => logVarianceLoss(policy, p, 3), /not a multiple/);
  policy.dispose();
});

import assert from "node:assert/strict";
import { defaultsOf, Rng, tf, useBackend, VecEnv } from "../../mod.ts";
import { createPendulum } from "../../envs/pendulum.ts";
import { GAUSSIAN_SCHEMA, gaussianKl, GaussianPolicy } from "../../plugins/learners/mod.ts";
import { Reppo, REPPO_SCHEMA, type ReppoParams } from "../../plugins/reppo/mod.ts";
import {
  assertGradientMatchesFiniteDifferences,
  assertResumeReproducesRun,
  assertSnapshotContinues,
  contextOf,
} from "../helpers.ts";

await useBackend("wasm");

function build(seed: number, overrides: Partial<ReppoParams> = {}) {
  const env = new VecEnv(() => createPendulum({}), 2, seed);
  const policy = new GaussianPolicy(
    { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
    { ...defaultsOf(GAUSSIAN_SCHEMA), hidden: [8], activation: "silu", normalizeObs: true },
    new Rng(seed).fork("policy"),
  );
  const params = {
    ...defaultsOf(REPPO_SCHEMA),
    numSteps: 6,
    numMinibatches: 3,
    updateEpochs: 2,
    criticHidden: 8,
    bins: 11,
    ...overrides,
  } as ReppoParams;
  const algo = new Reppo(contextOf({
    env,
    policy,
    params,
    rng: new Rng(seed).fork("algo"),
    totalSteps: 200,
  }));
  return { env, policy, algo };
}

const OBS = [0.2, 0.9, -0.4, -0.7, 0.1, 1.3, 1, 0, 0.2];

Deno.test("reppo: the Gaussian KL matches the closed form by hand and a Monte Carlo estimate", () => {
  const kl = tf.tidy(() =>
    gaussianKl(
      tf.tensor2d([[0.3, 0.3]]),
      tf.log(tf.tensor2d([[0.5, 0.5]])) as tf.Tensor2D,
      tf.tensor2d([[-0.2, 0.3]]),
      tf.log(tf.tensor2d([[0.8, 0.5]])) as tf.Tensor2D,
    ).dataSync()[0]
  );
  // dim 0: log(0.8/0.5) + (0.25 + 0.25) / (2 * 0.64) - 0.5; dim 1: identical Gaussians, 0
  assert.ok(Math.abs(kl - 0.3606286292) < 1e-5, `${kl}`);
  // E_{x ~ N(0.3, 0.5^2)} [log N(x; 0.3, 0.5^2) - log N(x; -0.2, 0.8^2)]
  const rng = new Rng(1);
  let sum = 0;
  const N = 200000;
  const logN = (x: number, m: number, s: number) => -0.5 * ((x - m) / s) ** 2 - Math.log(s);
  for (let i = 0; i < N; i++) {
    const x = 0.3 + 0.5 * rng.normal();
    sum += logN(x, 0.3, 0.5) - logN(x, -0.2, 0.8);
  }
  assert.ok(Math.abs(sum / N - 0.3606286) < 0.01, `${sum / N}`);
});

/** A minibatch whose behaviour policy is the current one, except rows in `shifted`. */
function minibatch(policy: GaussianPolicy, shifted: Set<number>, shift: number) {
  const obs = tf.tensor2d(OBS, [3, 3]);
  const { mean, logStd } = policy.distribution(obs);
  const m = mean.dataSync().slice();
  for (const r of shifted) m[r] += shift;
  return {
    obs,
    action: tf.zeros([3, 1]) as tf.Tensor2D,
    oldMean: tf.tensor2d(m, [3, 1]),
    oldLogStd: tf.tensor2d(logStd.dataSync(), [3, 1]),
  };
}

Deno.test("reppo: trust-region switch at the bound, per sample", () => {
  const { algo, policy } = build(0);
  const noise = tf.tensor2d([0.3, -0.8, 1.1], [3, 1]);
  tf.tidy(() => {
    const batch = minibatch(policy, new Set([1]), 2);
    const T = 0.05;
    const lambda = 3;
    const free = algo.actorLoss(
      { ...batch, oldMean: minibatch(policy, new Set(), 0).oldMean },
      noise,
      T,
      lambda,
    );
    const out = algo.actorLoss(batch, noise, T, lambda);
    const kl = Array.from(out.kl.dataSync());
    // rows 0, 2 on policy: KL 0; row 1 shifted by 2 means: KL = 2 / std^2 over its std
    assert.ok(kl[0] < 1e-6 && kl[2] < 1e-6 && kl[1] > 0.1, `${kl}`);
    assert.deepEqual(Array.from(out.violated.dataSync()), [0, 1, 0]);
    // the loss: the objective on rows 0 and 2, lambda KL on row 1
    const q = algo.q(batch.obs, policy.sample(batch.obs, noise).y).dataSync();
    const logProb = free.logProb.dataSync();
    const objective = (r: number) => T * logProb[r] - q[r];
    const expected = (objective(0) + lambda * kl[1] + objective(2)) / 3;
    assert.ok(Math.abs(out.loss.dataSync()[0] - expected) < 1e-4);
    // at a bound just above row 1's KL, row 1 switches back to its objective
    const wide = build(0, { klBound: kl[1] + 1e-3 });
    wide.policy.loadWeights(policy.weights());
    const switched = wide.algo.actorLoss(batch, noise, T, lambda);
    assert.deepEqual(Array.from(switched.violated.dataSync()), [0, 0, 0]);
    assert.ok(
      Math.abs(switched.loss.dataSync()[0] - (objective(0) + objective(1) + objective(2)) / 3) <
        1e-4,
    );
    wide.algo.dispose();
    wide.policy.dispose();
  });
  algo.dispose();
  policy.dispose();
});

Deno.test("reppo: the actor-loss gradient (pathwise through Q, KL penalty rows) matches finite differences", () => {
  const { algo, policy } = build(1, { klBound: 0.05 });
  // a nonzero critic: a few fits on the first rollout
  algo.iterate();
  const noise = tf.tensor2d([0.3, -0.8, 1.1], [3, 1]);
  const batch = minibatch(policy, new Set([2]), 1.5);
  const vars = policy.trainableVariables();
  const loss = () => algo.actorLoss(batch, noise, 0.1, 2).loss;
  const violated = tf.tidy(() =>
    Array.from(algo.actorLoss(batch, noise, 0.1, 2).violated.dataSync())
  );
  assert.ok(violated.includes(1) && violated.includes(0), `${violated}`);
  assertGradientMatchesFiniteDifferences(loss, vars, [[0, 1], [0, 5], [1, 3], [2, 0], [3, 0], [
    3,
    1,
  ]], { eps: 1e-3 });
  algo.dispose();
  policy.dispose();
});

Deno.test("reppo: an iteration collects numSteps x numEnvs and reports its losses; state()/load() continue exactly", () => {
  const { algo, policy } = build(2);
  const { metrics } = algo.iterate();
  assert.equal(algo.envSteps, 12);
  for (const key of ["critic_loss", "actor_loss", "kl", "entropy", "alpha", "kl_lambda"]) {
    assert.ok(Number.isFinite(metrics[key]), `${key}: ${metrics[key]}`);
  }
  algo.dispose();
  policy.dispose();
  assertSnapshotContinues((seed) => build(seed), { seeds: [3, 71], warmup: 3, steps: 3 });
});

Deno.test("trainer: REPPO resumes exactly", async () => {
  await assertResumeReproducesRun({
    algo: "reppo",
    env: "Pendulum-v1",
    steps: 96,
    numEnvs: 2,
    seed: 4,
    logEvery: 24,
    evalEvery: 48,
    evalEpisodes: 1,
    checkpointEvery: 24,
    quiet: true,
    algoParams: { numSteps: 12, numMinibatches: 2, updateEpochs: 1, criticHidden: 8, bins: 11 },
    policyParams: { hidden: [8] },
  }, 48);
});

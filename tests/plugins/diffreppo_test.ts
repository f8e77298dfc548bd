import assert from "node:assert/strict";
import { defaultsOf, Rng, tf, useBackend, VecEnv } from "../../mod.ts";
import { createPendulum } from "../../envs/pendulum.ts";
import { DIFFUSION_SCHEMA, DiffusionPolicy, kernelKl } from "../../plugins/learners/mod.ts";
import {
  DiffReppo,
  DIFFREPPO_SCHEMA,
  type DiffReppoMinibatch,
  type DiffReppoParams,
} from "../../plugins/diffreppo/mod.ts";
import {
  assertGradientMatchesFiniteDifferences,
  assertResumeReproducesRun,
  assertSnapshotContinues,
  contextOf,
} from "../helpers.ts";

await useBackend("wasm");

function build(seed: number, overrides: Partial<DiffReppoParams> = {}) {
  const env = new VecEnv(() => createPendulum({}), 2, seed);
  const policy = new DiffusionPolicy(
    { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
    {
      ...defaultsOf(DIFFUSION_SCHEMA),
      diffusionSteps: 3,
      hidden: [8, 8],
      timeHidden: 8,
      normalizeObs: true,
    },
    new Rng(seed).fork("policy"),
  );
  // a nonzero score network, so the kernel depends on every parameter
  const rng = new Rng(seed + 100);
  for (const v of policy.scoreNet.layers[policy.scoreNet.layers.length - 1].variables()) {
    v.assign(tf.tensor(rng.fillNormal(new Float32Array(v.size)).map((x) => 0.3 * x), v.shape));
  }
  const params = {
    ...defaultsOf(DIFFREPPO_SCHEMA),
    numSteps: 2,
    numMinibatches: 3,
    updateEpochs: 2,
    criticHidden: 8,
    bins: 11,
    ...overrides,
  } as DiffReppoParams;
  const algo = new DiffReppo(contextOf({
    env,
    policy,
    params,
    rng: new Rng(seed).fork("algo"),
    totalSteps: 200,
  }));
  return { env, policy, algo };
}

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) < tol, `${what}: ${a} vs ${b}`);

/** Three augmented states; the behaviour kernel is the current one shifted by `shift` stds. */
function minibatch(policy: DiffusionPolicy, shift: number[]): DiffReppoMinibatch {
  const obs = tf.tensor2d([0.2, 0.9, -0.4, -0.7, 0.1, 1.3, 1, 0, 0.2], [3, 3]);
  const a = tf.tensor2d([0.5, -1.2, 0.3], [3, 1]);
  const k = tf.tensor1d([1, 2, 3], "int32");
  const cur = policy.denoiseMean(obs, a, k);
  const std = tf.sqrt(tf.mul(2, cur.eta));
  const oldMean = tf.add(cur.mean, tf.mul(tf.tensor2d(shift, [3, 1]), std)) as tf.Tensor2D;
  return {
    obs,
    a,
    k,
    oldMean: tf.tensor2d(oldMean.dataSync(), [3, 1]),
    oldEta: tf.tensor2d(cur.eta.dataSync(), [3, 1]),
  };
}

Deno.test("diffreppo: the one-step kernel KL matches the closed form by hand and a Monte Carlo estimate", () => {
  // N(0.2, 2 * 0.3) || N(-0.1, 2 * 0.5), variances 0.6 and 1.0:
  // 0.5 (0.6 / 1 - log 0.6 - 1 + 0.09 / 1)
  const kl = tf.tidy(() =>
    kernelKl(
      { mean: tf.tensor2d([[0.2]]), eta: tf.tensor2d([[0.3]]) },
      { mean: tf.tensor2d([[-0.1]]), eta: tf.tensor2d([[0.5]]) },
    ).dataSync()[0]
  );
  close(kl, 0.5 * (0.6 - Math.log(0.6) - 1 + 0.09), 1e-6, "closed form");
  // the code's estimate: E_{x ~ q_old} [log q_old(x) - log q(x)]
  const rng = new Rng(5);
  const logN = (x: number, m: number, v: number) => -0.5 * (x - m) ** 2 / v - 0.5 * Math.log(v);
  let sum = 0;
  const N = 200000;
  for (let i = 0; i < N; i++) {
    const x = 0.2 + Math.sqrt(0.6) * rng.normal();
    sum += logN(x, 0.2, 0.6) - logN(x, -0.1, 1.0);
  }
  close(sum / N, kl, 0.005, "Monte Carlo");
});

Deno.test("diffreppo: trust-region switch at the bound on K KL, per sample", () => {
  const { algo, policy } = build(0, { klBound: 0.04 });
  const K = algo.K;
  tf.tidy(() => {
    // row 0: the current kernel (KL 0); row 1: 0.1 std (K KL = 3 * 0.005 = 0.015 < 0.04);
    // row 2: one std (K KL = 1.5 > 0.04)
    const batch = minibatch(policy, [0, 0.1, 1]);
    const noise = tf.tensor2d([0.3, -0.8, 1.1], [3, 1]);
    const T = 0.05;
    const lambda = 2;
    const out = algo.actorLoss(batch, noise, T, lambda);
    const kl = Array.from(out.kl.dataSync());
    close(kl[0], 0, 1e-6, "row 0");
    close(kl[1], K * 0.5 * 0.01, 1e-4, "row 1");
    close(kl[2], K * 0.5, 1e-4, "row 2");
    assert.deepEqual(Array.from(out.violated.dataSync()), [0, 0, 1]);
    // the objective T l(b) - Q(s~, b) on rows 0 and 1, lambda K KL on row 2
    const kernel = policy.denoiseMean(batch.obs, batch.a, batch.k);
    const b = tf.add(kernel.mean, tf.mul(tf.sqrt(tf.mul(2, kernel.eta)), noise)) as tf.Tensor2D;
    const l = policy.logDensities(batch.obs, batch.a, b, batch.k).logRatio.dataSync();
    const q = algo.q(batch.obs, batch.a, batch.k, b).dataSync();
    const objective = (r: number) => T * l[r] - q[r];
    close(
      out.loss.dataSync()[0],
      (objective(0) + objective(1) + lambda * kl[2]) / 3,
      1e-5,
      "switched loss",
    );
    // a bound just above row 2's K KL switches it back
    const wide = build(0, { klBound: kl[2] + 1e-3 });
    const inside = wide.algo.actorLoss(batch, noise, T, lambda);
    assert.deepEqual(Array.from(inside.violated.dataSync()), [0, 0, 0]);
    close(
      inside.loss.dataSync()[0],
      (objective(0) + objective(1) + objective(2)) / 3,
      1e-5,
      "objective loss",
    );
    wide.algo.dispose();
    wide.policy.dispose();
  });
  algo.dispose();
  policy.dispose();
});

Deno.test("diffreppo: the actor-loss gradient (one reparameterised step, KL rows) matches finite differences", () => {
  const { algo, policy } = build(1, { klBound: 0.04 });
  algo.iterate(); // a trained, nonzero critic
  const batch = minibatch(policy, [0, 0.1, 1]);
  const noise = tf.tensor2d([0.3, -0.8, 1.1], [3, 1]);
  const vars = policy.trainableVariables();
  const n = vars.length;
  // score net first and last layers, time net, dt, friction
  assertGradientMatchesFiniteDifferences(
    () => algo.actorLoss(batch, noise, 0.1, 2).loss,
    vars,
    [[0, 3], [4, 2], [5, 0], [6, 1], [n - 2, 0], [n - 2, 2], [n - 1, 0]],
    { eps: 1e-3 },
  );
  algo.dispose();
  policy.dispose();
});

Deno.test("diffreppo: an iteration runs K augmented steps per env step; state()/load() continue exactly", () => {
  const { algo, policy } = build(2);
  const { metrics } = algo.iterate();
  assert.equal(algo.envSteps, 4);
  for (const key of ["critic_loss", "actor_loss", "kl", "entropy", "alpha", "kl_lambda"]) {
    assert.ok(Number.isFinite(metrics[key]), `${key}: ${metrics[key]}`);
  }
  algo.dispose();
  policy.dispose();
  assertSnapshotContinues((seed) => build(seed), { seeds: [3, 71], warmup: 3, steps: 3 });
});

Deno.test("trainer: DiffREPPO resumes exactly", async () => {
  await assertResumeReproducesRun({
    algo: "diffreppo",
    env: "Pendulum-v1",
    steps: 48,
    numEnvs: 2,
    seed: 4,
    logEvery: 12,
    evalEvery: 24,
    evalEpisodes: 1,
    checkpointEvery: 12,
    quiet: true,
    algoParams: { numSteps: 6, numMinibatches: 2, updateEpochs: 1, criticHidden: 8, bins: 11 },
    policyParams: { diffusionSteps: 2, hidden: [8] },
  }, 24);
});

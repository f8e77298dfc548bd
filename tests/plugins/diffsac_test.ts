import assert from "node:assert/strict";
import { defaultsOf, Rng, tf, useBackend, VecEnv } from "../../mod.ts";
import { createPendulum } from "../../envs/pendulum.ts";
import { DIFFUSION_SCHEMA, DiffusionPolicy } from "../../plugins/diffusion_policy/mod.ts";
import { DiffSac, DIFFSAC_SCHEMA, type DiffSacParams } from "../../plugins/diffsac/mod.ts";
import {
  assertGradientMatchesFiniteDifferences,
  assertResumeReproducesRun,
  assertSnapshotContinues,
  contextOf,
} from "../helpers.ts";

await useBackend("wasm");

function build(seed: number, overrides: Partial<DiffSacParams> = {}, steps = 3) {
  const env = new VecEnv(() => createPendulum({}), 1, seed);
  const policy = new DiffusionPolicy(
    { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
    { ...defaultsOf(DIFFUSION_SCHEMA), diffusionSteps: steps, hidden: [8, 8], timeHidden: 8 },
    new Rng(seed).fork("policy"),
  );
  // a nonzero score network, so the chain depends on every parameter
  const rng = new Rng(seed + 100);
  for (const v of policy.scoreNet.layers[policy.scoreNet.layers.length - 1].variables()) {
    v.assign(tf.tensor(rng.fillNormal(new Float32Array(v.size)).map((x) => 0.3 * x), v.shape));
  }
  const params = {
    ...defaultsOf(DIFFSAC_SCHEMA),
    learningStarts: 32,
    batchSize: 16,
    criticHidden: [16, 16],
    criticActivation: "tanh",
    ...overrides,
  } as DiffSacParams;
  const algo = new DiffSac(contextOf({
    env,
    policy,
    params,
    rng: new Rng(seed).fork("algo"),
    totalSteps: 500,
  }));
  return { env, policy, algo };
}

const OBS = [0.2, 0.9, -0.4, -0.7, 0.1, 1.3, 1, 0, 0.2];

Deno.test("diffsac chain surrogate: actor-loss gradient through all K steps matches finite differences", () => {
  const { algo, policy } = build(0, { surrogate: "chain" });
  const obs = tf.tensor2d(OBS, [3, 3]);
  const noise = tf.tensor3d(new Rng(4).fillNormal(new Float32Array(3 * 4)), [3, 4, 1]);
  const loss = () => algo.chainActorLoss(obs, noise, 0.3).loss;
  const vars = policy.trainableVariables();
  const n = vars.length;
  // score net output layer, score net first layer, time net, dt (index n-2), friction (n-1)
  assertGradientMatchesFiniteDifferences(loss, vars, [[4, 3], [0, 2], [6, 1], [n - 2, 1], [
    n - 1,
    0,
  ]]);
  algo.dispose();
  policy.dispose();
});

Deno.test("diffsac squashEntropy: the path estimate gains the tanh log-det; gradient still matches finite differences", () => {
  const plain = build(0, { surrogate: "chain" });
  const squashed = build(0, { surrogate: "chain", squashEntropy: true });
  const obs = tf.tensor2d(OBS, [3, 3]);
  const noise = tf.tensor3d(new Rng(4).fillNormal(new Float32Array(3 * 4)), [3, 4, 1]);
  const chain = plain.policy.sampleChain(obs, noise);
  const y = tf.clipByValue(tf.tanh(chain.latents[3]), -0.999, 0.999).dataSync();
  const sum = chain.logRatioSum.dataSync();
  const got = squashed.algo.chainActorLoss(obs, noise, 0.3).pathLogRatio.dataSync();
  for (let i = 0; i < 3; i++) {
    // -sum_k l_k estimates the latent's entropy; the action's adds E log(1 - tanh^2)
    const expected = sum[i] - Math.log(1 - y[i] * y[i] + 1e-6);
    assert.ok(Math.abs(got[i] - expected) < 1e-4, `sample ${i}: ${got[i]} vs ${expected}`);
  }
  const vars = squashed.policy.trainableVariables();
  const n = vars.length;
  assertGradientMatchesFiniteDifferences(
    () => squashed.algo.chainActorLoss(obs, noise, 0.3).loss,
    vars,
    [[4, 3], [0, 2], [n - 2, 1], [n - 1, 0]],
  );
  assert.throws(
    () => build(1, { surrogate: "augmented", squashEntropy: true }),
    /algoParams\.squashEntropy: only the 'chain' surrogate/,
  );
  for (const { algo, policy } of [plain, squashed]) {
    algo.dispose();
    policy.dispose();
  }
});

Deno.test("diffsac augmented surrogate: one-step actor-loss gradient matches finite differences", () => {
  const { algo, policy } = build(1, { surrogate: "augmented" });
  const obs = tf.tensor2d(OBS, [3, 3]);
  const a = tf.tensor2d([1.5, -2.2, 0.4], [3, 1]);
  const k = tf.tensor1d([1, 3, 2], "int32");
  const noise = tf.tensor2d([0.3, -0.8, 1.1], [3, 1]);
  const loss = () => algo.augmentedActorLoss(obs, a, k, noise, 0.5).loss;
  const vars = policy.trainableVariables();
  const n = vars.length;
  assertGradientMatchesFiniteDifferences(loss, vars, [[4, 5], [2, 3], [n - 2, 0], [n - 2, 2], [
    n - 1,
    0,
  ]]);
  algo.dispose();
  policy.dispose();
});

Deno.test("diffsac: state()/load() through a snapshot continues exactly, for both surrogates", () => {
  for (const surrogate of ["augmented", "chain"] as const) {
    assertSnapshotContinues((seed) => build(seed, { surrogate }), {
      seeds: [2, 99],
      warmup: 50,
      steps: 12,
      label: surrogate,
    });
  }
});

Deno.test("diffsac: every env step runs the K-step chain and stores it; updates report the path entropy", () => {
  const { algo, policy } = build(3, { surrogate: "augmented", learningStarts: 4 });
  for (let i = 0; i < 4; i++) assert.deepEqual(algo.iterate().metrics, {});
  assert.equal(algo.envSteps, 4);
  algo.iterate();
  const m = algo.iterate().metrics;
  for (const key of ["q_loss", "actor_loss", "entropy", "alpha", "alpha_loss"]) {
    assert.ok(Number.isFinite(m[key]), `${key} = ${m[key]}`);
  }
  const replay = algo.replay.state();
  assert.equal(replay.size, 6);
  assert.equal(replay.data.chain.length, 6 * (3 + 1), "a^K..a^0 per transition (1-D actions)");
  algo.dispose();
  policy.dispose();
});

Deno.test("trainer: DiffSAC runs, checkpoints, resumes exactly and evaluates like SAC", async () => {
  const raw = {
    algo: "diffsac",
    env: "Pendulum-v1",
    steps: 120,
    logEvery: 20,
    evalEvery: 40,
    evalEpisodes: 2,
    algoParams: { learningStarts: 30, batchSize: 8, criticHidden: [8, 8], surrogate: "augmented" },
    policyParams: { diffusionSteps: 2, hidden: [8, 8], timeHidden: 8 },
  };
  const { rows, config } = await assertResumeReproducesRun(raw, 60);
  assert.equal(config.policy, "diffusion");
  assert.ok(rows.some((r) => "eval/return_mean" in r && "q_loss" in r));
});

Deno.test("diffsac: before learning starts the env action is uniform in the Box (a^0 = atanh(y)), then the chain's own", () => {
  const { algo, policy } = build(5, { learningStarts: 400 }, 2);
  for (let i = 0; i < 400; i++) algo.iterate();
  for (let i = 0; i < 1; i++) algo.iterate(); // one step past learningStarts: the policy acts
  const chain = algo.replay.state().data.chain;
  const finals = (from: number, to: number) => {
    const out: number[] = [];
    for (let t = from; t < to; t++) out.push(Math.tanh(chain[t * 3 + 2])); // K = 2: slots 0..2
    return out;
  };
  const warm = finals(0, 400);
  const meanAbs = warm.reduce((a, b) => a + Math.abs(b), 0) / warm.length;
  assert.ok(Math.abs(meanAbs - 0.5) < 0.05, `uniform |y| has mean 0.5, got ${meanAbs}`);
  assert.ok(warm.every((y) => Math.abs(y) <= 0.999 + 1e-6));
  // the untrained chain (prior std 3) mostly saturates tanh: far from uniform
  const own = policy.act(new Float32Array(3 * 400).fill(0.5), {
    deterministic: false,
    rng: new Rng(9),
  });
  const ownAbs = own.reduce((a, b) => a + Math.abs(b) / 2, 0) / own.length; // Box is [-2, 2]
  assert.ok(ownAbs > 0.7, `untrained chain |y| mean ${ownAbs}`);
  algo.dispose();
  policy.dispose();
});

Deno.test("diffsac log-variance actor loss: continues exactly through a snapshot, reports its terms, refuses the augmented surrogate", () => {
  for (const squashEntropy of [false, true]) {
    assertSnapshotContinues(
      (seed) => build(seed, { actorLoss: "log-variance", lvSamples: 3, squashEntropy }),
      { seeds: [5, 77], warmup: 40, steps: 6, label: `lv squash=${squashEntropy}` },
    );
  }
  const { algo, policy } = build(8, { actorLoss: "log-variance", lvSamples: 4 });
  let metrics: Record<string, number> = {};
  for (let i = 0; i < 40; i++) metrics = { ...metrics, ...algo.iterate().metrics };
  // a variance: non-negative; the entropy estimate is finite
  assert.ok(
    metrics.actor_loss >= 0 && Number.isFinite(metrics.actor_loss),
    `${metrics.actor_loss}`,
  );
  assert.ok(Number.isFinite(metrics.entropy) && Number.isFinite(metrics.q_loss));
  algo.dispose();
  policy.dispose();
  assert.throws(
    () => build(0, { actorLoss: "log-variance", surrogate: "augmented" }),
    /algoParams.actorLoss: 'log-variance' needs the 'chain' surrogate/,
  );
  assert.throws(
    () => build(0, { actorLoss: "log-variance", autotune: false, alpha: 0 }),
    /algoParams.alpha: .*alpha > 0/,
  );
});

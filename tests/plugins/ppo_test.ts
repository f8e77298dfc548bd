import assert from "node:assert/strict";
import { defaultsOf, type Env, Registry, resolveConfig, Rng, VecEnv } from "../../core/mod.ts";
import { ReturnNormalizer, useBackend } from "../../core/tensor/mod.ts";
import { box, definePlugin } from "../../core/mod.ts";
import { createPendulum } from "../../envs/pendulum.ts";
import { GAUSSIAN_SCHEMA, GaussianPolicy } from "../../plugins/gaussian_policy/mod.ts";
import { Ppo, PPO_POLICY_DEFAULTS, PPO_SCHEMA, type PpoParams } from "../../plugins/ppo/mod.ts";
import { builtinRegistry } from "../../plugins/builtin.ts";
import { assertResumeReproducesRun, contextOf } from "../helpers.ts";

await useBackend("wasm");

function build(overrides: Partial<PpoParams>) {
  const env = new VecEnv(() => createPendulum({}), 2, 0);
  const policy = new GaussianPolicy(
    { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
    { ...defaultsOf(GAUSSIAN_SCHEMA), ...PPO_POLICY_DEFAULTS } as never,
    new Rng(0),
  );
  const params = { ...defaultsOf(PPO_SCHEMA), numSteps: 32, ...overrides } as PpoParams;
  return {
    policy,
    ppo: new Ppo(contextOf({ env, policy, params, rng: new Rng(1), totalSteps: 10_000 })),
  };
}

Deno.test("ppo: before the first update the ratio is exactly 1 (approx KL and clip fraction 0)", () => {
  const { ppo, policy } = build({ updateEpochs: 1, numMinibatches: 1 });
  const { metrics, episodes } = ppo.iterate();
  assert.equal(metrics.approx_kl, 0);
  assert.equal(metrics.clipfrac, 0);
  assert.equal(ppo.envSteps, 64);
  assert.equal(episodes.length, 0, "Pendulum episodes are 200 steps");
  // later epochs move the policy, so the ratio leaves 1
  const { ppo: ppo2, policy: policy2 } = build({ updateEpochs: 4, numMinibatches: 2 });
  assert.ok(ppo2.iterate().metrics.approx_kl > 0);
  for (const x of [ppo, ppo2, policy, policy2]) x.dispose();
});

Deno.test("ReturnNormalizer scales by the std of the discounted return and resets it on termination", () => {
  const norm = new ReturnNormalizer(1, 0.5, 1000);
  const rewards = [1, 2, 3];
  const terminated = [0, 1, 0];
  const discounted: number[] = [];
  let g = 0;
  for (let t = 0; t < 3; t++) {
    const r = new Float32Array([rewards[t]]);
    norm.normalize(r, new Uint8Array([terminated[t]]));
    // gymnasium: G <- gamma * G * (1 - terminated) + r, with the CURRENT step's flag
    g = g * 0.5 * (1 - terminated[t]) + rewards[t];
    discounted.push(g);
    // running stats start at mean 0, var 1 with count 1e-4
    const all = discounted;
    const n = all.length + 1e-4;
    const mean = all.reduce((a, b) => a + b, 0) / n;
    let m2 = 1e-4 * (0 - mean) ** 2 + 1e-4 * 1;
    for (const x of all) m2 += (x - mean) ** 2;
    const expected = rewards[t] / Math.sqrt(m2 / n + 1e-8);
    assert.ok(Math.abs(r[0] - expected) < 1e-3 * Math.abs(expected), `${r[0]} vs ${expected}`);
  }
  assert.deepEqual(discounted, [1, 2, 4]);
  const clipped = new Float32Array([1]);
  new ReturnNormalizer(1, 0.5).normalize(clipped, new Uint8Array([0]));
  assert.equal(clipped[0], 10, "the first reward is ~70 std units: clipped to 10");
});

Deno.test("trainer: an aborted PPO run resumed from its checkpoint logs what the uninterrupted run logs", async () => {
  const raw = {
    algo: "ppo",
    env: "Pendulum-v1",
    steps: 768,
    numEnvs: 2,
    logEvery: 128,
    evalEvery: 256,
    evalEpisodes: 2,
    checkpointEvery: 100_000,
    algoParams: { numSteps: 64, numMinibatches: 4, updateEpochs: 2 },
    policyParams: { hidden: [16, 16] },
  };
  const { rows, cutSteps } = await assertResumeReproducesRun(raw, 256);
  assert.equal(cutSteps, 256);
  assert.ok(rows.length >= 6);
});

Deno.test("ppo: time-limit truncations bootstrap from V(final obs), terminations do not", () => {
  // A one-step env whose episodes end every step with reward 0: the only signal in the
  // returns is the bootstrap term, present for truncation and absent for termination.
  const oneStep = (truncate: boolean): Env => ({
    id: "OneStep-v0",
    observationSpace: box(-1, 1, 1),
    actionSpace: box(-1, 1, 1),
    maxEpisodeSteps: 1,
    reset: () => new Float32Array([0.5]),
    step: () => ({
      obs: new Float32Array([0.5]),
      reward: 0,
      terminated: !truncate,
      truncated: truncate,
    }),
    state: () => null,
    load: () => {},
  });
  const registry = new Registry();
  for (const p of builtinRegistry().plugins) registry.register(p);
  registry.register(definePlugin({
    name: "one-step",
    envs: {
      "Truncating-v0": { description: "", create: () => oneStep(true) },
      "Terminating-v0": { description: "", create: () => oneStep(false) },
    },
  }));
  const explained = (env: string) => {
    const { config, algorithm, policy } = resolveConfig({
      algo: "ppo",
      env,
      algoParams: { numSteps: 32, normalizeReward: false, updateEpochs: 1, numMinibatches: 1 },
    }, registry);
    const vec = new VecEnv(() => registry.env(env).create({}), 1, 0);
    const spec = { observationSpace: vec.observationSpace, actionSpace: vec.actionSpace };
    const makePolicy = (rng: Rng) => policy.create(spec, config.policyParams, rng);
    const pol = makePolicy(new Rng(0));
    const algo = algorithm.create({
      env: vec,
      policy: pol,
      params: config.algoParams,
      rng: new Rng(0),
      totalSteps: 1000,
      makePolicy,
    });
    const m = algo.iterate().metrics;
    algo.dispose();
    pol.dispose();
    return m;
  };
  // Terminating: returns are all exactly 0 -> value loss is 0.5 * mean(V^2) of a small net.
  // Truncating: returns are gamma * V(s') = 0.99 * V(s) (same obs), so they track V closely.
  const term = explained("Terminating-v0");
  const trunc = explained("Truncating-v0");
  assert.ok(trunc.value_loss < term.value_loss, `${trunc.value_loss} vs ${term.value_loss}`);
});

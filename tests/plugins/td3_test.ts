/**
 * TD3 on the off-policy skeleton: the actor gradient, the delayed actor and target schedule,
 * the critic target with policy smoothing, exploration inside the Box, exact resume, and the
 * deterministic policy's ONNX export.
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { defaultsOf, Rng, VecEnv } from "../../core/mod.ts";
import { tf, useBackend } from "../../core/tensor/mod.ts";
import { createPendulum } from "../../envs/pendulum.ts";
import {
  DETERMINISTIC_SCHEMA,
  DeterministicPolicy,
} from "../../plugins/deterministic_policy/mod.ts";
import { Td3, TD3_SCHEMA, type Td3Params } from "../../plugins/td3/mod.ts";
import { builtinRegistry } from "../../plugins/builtin.ts";
import {
  assertGradientMatchesFiniteDifferences,
  assertSnapshotContinues,
  contextOf,
} from "../helpers.ts";

await useBackend("wasm");

function policyOf(env: VecEnv, rng: Rng): DeterministicPolicy {
  return new DeterministicPolicy(
    { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
    { ...defaultsOf(DETERMINISTIC_SCHEMA), hidden: [16, 16], activation: "tanh" },
    rng,
  );
}

function build(seed: number, overrides: Partial<Td3Params> = {}) {
  const env = new VecEnv(() => createPendulum({}), 1, seed);
  const policy = policyOf(env, new Rng(seed).fork("policy"));
  const params = {
    ...defaultsOf(TD3_SCHEMA),
    learningStarts: 64,
    batchSize: 32,
    criticHidden: [16, 16],
    criticActivation: "tanh",
    ...overrides,
  } as Td3Params;
  const td3 = new Td3(contextOf({
    env,
    policy,
    params,
    rng: new Rng(seed).fork("algo"),
    totalSteps: 1000,
    makePolicy: (rng: Rng) => policyOf(env, rng),
  }));
  return { env, policy, algo: td3, td3 };
}

function weightsOf(policy: DeterministicPolicy): Float32Array[] {
  return policy.trainableVariables().map((v) => v.dataSync() as Float32Array);
}

Deno.test("td3: actor-loss gradient (-Q1(s, mu(s)) through the actor) matches finite differences", () => {
  const { td3, policy } = build(0);
  const obs = tf.tensor2d([0.2, 0.9, -0.4, -0.7, 0.1, 1.3, 1, 0, 0.2], [3, 3]);
  assertGradientMatchesFiniteDifferences(() => td3.actorLoss(obs), policy.trainableVariables(), [
    [0, 5],
    [2, 17],
    [4, 0],
    [5, 0],
  ]);
  td3.dispose();
  policy.dispose();
});

Deno.test("td3: the target actor starts as a copy, the actor and targets move only every policyFrequency updates", () => {
  const { td3, policy } = build(1, { policyFrequency: 2, tau: 0.5 });
  assert.deepEqual(weightsOf(td3.targetActor), weightsOf(policy));
  for (let i = 0; i < 64; i++) assert.deepEqual(td3.iterate().metrics, {});
  const before = weightsOf(policy);
  const first = td3.iterate().metrics; // update 1: critics only
  assert.ok(Number.isFinite(first.q_loss) && first.actor_loss === undefined);
  assert.deepEqual(weightsOf(policy), before, "no actor step on an odd update");
  assert.deepEqual(weightsOf(td3.targetActor), before, "no target step on an odd update");
  const second = td3.iterate().metrics; // update 2: critics, one actor step, targets
  assert.ok(Number.isFinite(second.actor_loss));
  const after = weightsOf(policy);
  assert.notDeepEqual(after, before, "the actor stepped");
  // Polyak with tau 0.5 from the old copy: target = 0.5 old + 0.5 new
  const target = weightsOf(td3.targetActor);
  for (let v = 0; v < target.length; v++) {
    for (let i = 0; i < target[v].length; i += 7) {
      const expected = 0.5 * before[v][i] + 0.5 * after[v][i];
      assert.ok(Math.abs(target[v][i] - expected) < 1e-6, `var ${v}[${i}]`);
    }
  }
  td3.dispose();
  policy.dispose();
});

Deno.test("td3: exploration actions stay in [-1, 1] and noise-free they are mu(s)", () => {
  const { td3, policy } = build(2, { learningStarts: 0, explorationNoise: 5 });
  td3.iterate();
  const stored = td3.replay.state();
  for (const y of stored.data.action.subarray(0, stored.size)) assert.ok(y >= -1 && y <= 1);
  td3.dispose();
  policy.dispose();
  const quiet = build(3, { learningStarts: 10_000, explorationNoise: 0 });
  const obs = quiet.env.obs.slice();
  const mu = tf.tidy(() => quiet.policy.action(quiet.policy.obsTensor(obs)).dataSync());
  quiet.td3.dispose();
  const noiseless = build(3, { learningStarts: 0, explorationNoise: 0 });
  noiseless.td3.iterate();
  const y = noiseless.td3.replay.state().data.action.subarray(0, 1);
  assert.ok(Math.abs(y[0] - mu[0]) < 1e-6, `${y[0]} vs mu ${mu[0]}`);
  noiseless.td3.dispose();
  noiseless.policy.dispose();
  quiet.policy.dispose();
});

Deno.test("td3: a snapshot (critics, target actor, optimisers, replay, generator) continues exactly", () => {
  assertSnapshotContinues((seed) => build(seed), { seeds: [4, 5], warmup: 70, steps: 6 });
});

Deno.test("td3: registered with the deterministic policy; the ONNX export acts as the policy", async () => {
  const registry = builtinRegistry();
  assert.equal(registry.algorithm("td3").defaultPolicy, "deterministic");
  const env = new VecEnv(() => createPendulum({}), 1, 0);
  const policy = policyOf(env, new Rng(7));
  const obs = new Rng(8).fillNormal(new Float32Array(5 * 3));
  const expected = policy.act(obs, { deterministic: false, rng: new Rng(0) });
  const session = await ort.InferenceSession.create(policy.exportOnnx({ deterministic: false }));
  assert.deepEqual(session.inputNames, ["obs"], "no noise input, whatever was asked");
  const out = await session.run({ obs: new ort.Tensor("float32", obs, [5, 3]) });
  const got = out.action.data as Float32Array;
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-5);
  await session.release();
  policy.dispose();
});

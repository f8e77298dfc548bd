import assert from "node:assert/strict";
import { defaultsOf, Rng, VecEnv } from "../../core/mod.ts";
import { tf, useBackend } from "../../core/tensor/mod.ts";
import { createPendulum } from "../../envs/pendulum.ts";
import { GAUSSIAN_SCHEMA, GaussianPolicy } from "../../plugins/gaussian_policy/mod.ts";
import { Sac, SAC_SCHEMA, type SacParams } from "../../plugins/sac/mod.ts";
import {
  assertGradientMatchesFiniteDifferences,
  assertSnapshotContinues,
  contextOf,
} from "../helpers.ts";

await useBackend("wasm");

function build(seed: number, overrides: Partial<SacParams> = {}) {
  const env = new VecEnv(() => createPendulum({}), 1, seed);
  const policy = new GaussianPolicy(
    { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
    { ...defaultsOf(GAUSSIAN_SCHEMA), hidden: [16, 16], activation: "tanh" },
    new Rng(seed).fork("policy"),
  );
  const params = {
    ...defaultsOf(SAC_SCHEMA),
    learningStarts: 64,
    batchSize: 32,
    criticHidden: [16, 16],
    criticActivation: "tanh",
    ...overrides,
  } as SacParams;
  const sac = new Sac(
    contextOf({ env, policy, params, rng: new Rng(seed).fork("algo"), totalSteps: 1000 }),
  );
  return { env, policy, sac };
}

Deno.test("sac: actor-loss gradient (through the reparameterised sample and dQ/da) matches finite differences", () => {
  const { sac, policy } = build(0);
  const obs = tf.tensor2d([0.2, 0.9, -0.4, -0.7, 0.1, 1.3, 1, 0, 0.2], [3, 3]);
  const noise = tf.tensor2d([0.4, -1.1, 0.3], [3, 1]);
  const loss = () => sac.actorLoss(obs, noise, 0.3).loss;
  assertGradientMatchesFiniteDifferences(loss, policy.trainableVariables(), [
    [0, 5],
    [2, 17],
    [4, 0],
    [5, 1],
  ]);
  sac.dispose();
  policy.dispose();
});

Deno.test("sac: no updates before learningStarts, then every step reports losses and a temperature", () => {
  const { sac, policy } = build(1);
  for (let i = 0; i < 64; i++) assert.deepEqual(sac.iterate().metrics, {});
  const m = sac.iterate().metrics;
  assert.ok(Number.isFinite(m.q_loss) && m.alpha > 0);
  const m2 = sac.iterate().metrics; // policyFrequency 2: the actor and alpha step on even updates
  assert.ok(Number.isFinite(m2.actor_loss) && Number.isFinite(m2.alpha_loss));
  // CleanRL and Stable-Baselines3 start the learned temperature at 1
  assert.ok(Math.abs(m2.alpha - 1) < 1e-6, "alpha is alphaInit before its first step");
  const m3 = sac.iterate().metrics;
  assert.ok(m3.alpha > 0 && Math.abs(m3.alpha - 1) > 1e-6, "the temperature was updated");
  sac.dispose();
  policy.dispose();
});

Deno.test("sac: autotune starts from alphaInit; without autotune alpha stays fixed", () => {
  for (
    const [overrides, start, learned] of [
      [{ alphaInit: 0.3 }, 0.3, true],
      [{ autotune: false, alpha: 0.05 }, 0.05, false],
    ] as const
  ) {
    const { sac, policy } = build(4, overrides);
    for (let i = 0; i < 64; i++) sac.iterate();
    const first = sac.iterate().metrics.alpha;
    assert.ok(Math.abs(first - start) < 1e-6, `alpha ${first}, expected ${start}`);
    for (let i = 0; i < 4; i++) sac.iterate();
    const later = sac.iterate().metrics.alpha;
    assert.equal(Math.abs(later - start) > 1e-6, learned);
    sac.dispose();
    policy.dispose();
  }
});

Deno.test("sac: state()/load() through a snapshot continues exactly like the original", () => {
  // different seeds: everything must come from the snapshot
  assertSnapshotContinues((seed) => {
    const { env, policy, sac } = build(seed);
    return { env, policy, algo: sac };
  }, { seeds: [2, 77], warmup: 120, steps: 40 });
});

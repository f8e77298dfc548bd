import assert from "node:assert/strict";
import { builtinRegistry, defaultsOf, resolveConfig, Rng, useBackend, VecEnv } from "../../mod.ts";
import { createPendulum } from "../../envs/pendulum.ts";
import { DIFFUSION_SCHEMA, DiffusionPolicy } from "../../plugins/diffusion_policy/mod.ts";
import { DiffPpo, DIFFPPO_SCHEMA, type DiffPpoParams } from "../../plugins/diffppo/mod.ts";
import { assertResumeReproducesRun, assertSnapshotContinues, contextOf } from "../helpers.ts";

await useBackend("wasm");

function build(seed: number, overrides: Partial<DiffPpoParams> = {}) {
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
  const params = {
    ...defaultsOf(DIFFPPO_SCHEMA),
    numSteps: 16,
    numMinibatches: 4,
    updateEpochs: 2,
    criticHidden: [8, 8],
    ...overrides,
  } as DiffPpoParams;
  const algo = new DiffPpo(contextOf({
    env,
    policy,
    params,
    rng: new Rng(seed).fork("algo"),
    totalSteps: 1000,
  }));
  return { env, policy, algo };
}

Deno.test("diffppo: before the first update the per-step ratio is exactly 1 (KL and clip fraction 0)", () => {
  for (const tau of [0, 2e-4, 0.5]) {
    const { algo, policy } = build(0, { tau, updateEpochs: 1, numMinibatches: 1 });
    const { metrics } = algo.iterate();
    assert.equal(metrics.approx_kl, 0, `tau ${tau}`);
    assert.equal(metrics.clipfrac, 0, `tau ${tau}`);
    assert.equal(algo.envSteps, 32, "numSteps env steps per env copy");
    assert.ok(Number.isFinite(metrics.entropy) && Number.isFinite(metrics.value_loss));
    algo.dispose();
    policy.dispose();
  }
  const { algo, policy } = build(0, { updateEpochs: 3, numMinibatches: 2 });
  assert.ok(algo.iterate().metrics.approx_kl > 0, "later minibatches see a moved policy");
  algo.dispose();
  policy.dispose();
});

Deno.test("diffppo: state()/load() through a snapshot continues exactly", () => {
  assertSnapshotContinues((seed) => build(seed), { seeds: [1, 55], warmup: 1, steps: 2 });
});

Deno.test("dppo is DiffPPO with tau = 0 by default; diffppo defaults to the paper's tau and discounts", () => {
  const registry = builtinRegistry();
  const dppo = resolveConfig({ algo: "dppo", env: "MountainCarContinuous-v0" }, registry).config;
  const diffppo = resolveConfig({ algo: "diffppo", env: "MountainCarContinuous-v0" }, registry)
    .config;
  assert.equal(dppo.algoParams.tau, 0);
  assert.equal(dppo.policy, "diffusion");
  assert.equal(diffppo.algoParams.tau, 2e-4);
  assert.equal(diffppo.algoParams.gamma, 0.999);
  assert.equal(diffppo.algoParams.gaeLambda, 0.98);
  assert.deepEqual(diffppo.policyParams.hidden, [64, 64]);
});

Deno.test("trainer: an aborted DiffPPO run resumes exactly", async () => {
  const raw = {
    algo: "diffppo",
    env: "Pendulum-v1",
    steps: 192,
    numEnvs: 2,
    logEvery: 64,
    evalEvery: 64,
    evalEpisodes: 2,
    algoParams: { numSteps: 32, numMinibatches: 4, updateEpochs: 1, criticHidden: [8] },
    policyParams: { diffusionSteps: 2, hidden: [8], timeHidden: 4 },
  };
  await assertResumeReproducesRun(raw, 64);
});

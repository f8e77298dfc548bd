/** Every shipped preset resolves; the MuJoCo presets carry CleanRL's published settings. */
import assert from "node:assert/strict";
import { builtinRegistry, MUJOCO_LOCOMOTION, presetsFor, resolveConfig } from "../../mod.ts";

const registry = builtinRegistry();

Deno.test("every preset of every built-in algorithm resolves against its schemas", async () => {
  let count = 0;
  for (const algo of registry.names().algorithms) {
    for (const env of Object.keys(registry.algorithm(algo).presets ?? {})) {
      await registry.prepareEnv(env);
      const { config } = resolveConfig({ algo, env }, registry);
      assert.equal(config.algo, algo);
      count++;
    }
  }
  assert.ok(count >= 6 * MUJOCO_LOCOMOTION.length, `only ${count} presets`);
});

Deno.test("MuJoCo presets: CleanRL's SAC, TD3 and PPO settings on every locomotion task", async () => {
  const resolve = async (algo: string, env: string) => {
    await registry.prepareEnv(env);
    return resolveConfig({ algo, env }, registry).config;
  };
  for (const env of MUJOCO_LOCOMOTION) {
    const sac = await resolve("sac", env);
    assert.equal(sac.steps, 1_000_000);
    assert.deepEqual(
      [sac.algoParams.learningStarts, sac.algoParams.policyLr, sac.algoParams.qLr],
      [5000, 3e-4, 1e-3],
    );
    assert.equal(sac.algoParams.alphaInit, 1, "CleanRL starts log_alpha at 0");
    const td3 = await resolve("td3", env);
    assert.deepEqual(
      [td3.algoParams.learningStarts, td3.algoParams.policyLr, td3.algoParams.qLr],
      [25000, 3e-4, 3e-4],
    );
    const ppo = await resolve("ppo", env);
    assert.deepEqual([ppo.numEnvs, ppo.algoParams.numSteps, ppo.algoParams.lr], [1, 2048, 3e-4]);
    assert.deepEqual(ppo.policyParams.hidden, [64, 64]);
    const diffppo = await resolve("diffppo", env);
    assert.ok(Math.abs((diffppo.algoParams.gamma as number) ** 8 - 0.99) < 1e-5);
    assert.ok(Math.abs((diffppo.algoParams.gaeLambda as number) ** 8 - 0.95) < 1e-5);
  }
  // Hopper's own DiffSAC network survives the shared preset
  const diffsac = await resolve("diffsac", "Hopper-v4");
  assert.deepEqual(diffsac.policyParams.hidden, [256, 256]);
  assert.equal(diffsac.algoParams.learningStarts, 5000);
});

Deno.test("the Pendulum presets keep the settings their benchmarks were measured with", () => {
  for (const algo of ["sac", "diffsac", "diffwpo"]) {
    const { config } = resolveConfig({ algo, env: "Pendulum-v1" }, registry);
    assert.equal(config.algoParams.alphaInit, 0.2, algo);
    // learning from step 1,000 of 10,000, not CleanRL's MuJoCo 5,000
    assert.equal(config.algoParams.learningStarts, 1000, algo);
    assert.equal(config.steps, 10_000, algo);
  }
  // elsewhere the learned temperature starts where CleanRL's and Stable-Baselines3's does
  const { config } = resolveConfig({ algo: "sac", env: "MountainCarContinuous-v0" }, registry);
  assert.equal(config.algoParams.alphaInit, 1);
});

Deno.test("presetsFor merges an env's own preset over the shared one", () => {
  const out = presetsFor(["A", "B"], { steps: 5, algoParams: { x: 1, y: 2 } }, {
    B: { algoParams: { y: 3 }, policyParams: { h: [1] } },
  });
  assert.deepEqual(out.A, { steps: 5, algoParams: { x: 1, y: 2 }, policyParams: {} });
  assert.deepEqual(out.B, { steps: 5, algoParams: { x: 1, y: 3 }, policyParams: { h: [1] } });
});

/**
 * DiffSAC trains identically with the fused chain passes of core/tensor/fused_chain.ts and with
 * their tensor form: the same metrics, row for row, and the same weights, bit for bit.
 */
import assert from "node:assert/strict";
import { defaultsOf, Rng, setFusedChain, tf, useBackend, VecEnv } from "../../mod.ts";
import { createPendulum } from "../../envs/pendulum.ts";
import { DIFFUSION_SCHEMA, DiffusionPolicy } from "../../plugins/diffusion_policy/mod.ts";
import { DiffSac, DIFFSAC_SCHEMA, type DiffSacParams } from "../../plugins/diffsac/mod.ts";
import { contextOf } from "../helpers.ts";

await useBackend("wasm");

/**
 * Metrics of `iterations` env steps (updates from step 16 on), the final policy weights and the
 * kernels one more update launches.
 */
async function train(fused: boolean, overrides: Partial<DiffSacParams>, iterations: number) {
  const previous = setFusedChain(fused);
  try {
    const env = new VecEnv(() => createPendulum({}), 1, 5);
    const policy = new DiffusionPolicy(
      { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
      { ...defaultsOf(DIFFUSION_SCHEMA), diffusionSteps: 3, hidden: [8, 8], timeHidden: 8 },
      new Rng(5).fork("policy"),
    );
    const params = {
      ...defaultsOf(DIFFSAC_SCHEMA),
      learningStarts: 16,
      batchSize: 13, // not a multiple of the kernels' four lanes
      criticHidden: [16, 16],
      ...overrides,
    } as DiffSacParams;
    const algo = new DiffSac(contextOf({
      env,
      policy,
      params,
      rng: new Rng(5).fork("algo"),
      totalSteps: 500,
    }));
    const metrics = Array.from({ length: iterations }, () => algo.iterate().metrics);
    const weights = policy.trainableVariables().map((v) => v.dataSync().slice());
    const kernels = (await tf.profile(() => {
      algo.iterate();
    })).kernels.length;
    algo.dispose();
    policy.dispose();
    return { metrics, weights, kernels };
  } finally {
    setFusedChain(previous);
  }
}

for (
  const overrides of [
    { surrogate: "chain" },
    { surrogate: "chain", actorLoss: "log-variance", lvSamples: 3 },
    { surrogate: "augmented" },
  ] as Partial<DiffSacParams>[]
) {
  Deno.test(`diffsac ${JSON.stringify(overrides)}: fused and tensor-form chains train identically`, async () => {
    const fused = await train(true, overrides, 40);
    const tensor = await train(false, overrides, 40);
    assert.ok(fused.metrics.filter((m) => "actor_loss" in m).length > 5, "actor steps ran");
    assert.deepEqual(fused.metrics, tensor.metrics);
    fused.weights.forEach((w, i) => assert.deepEqual(w, tensor.weights[i], `variable ${i}`));
    // the two forms did run: the fused one in far fewer kernels
    assert.ok(
      fused.kernels * 4 < tensor.kernels * 3,
      `${fused.kernels} vs ${tensor.kernels} kernels`,
    );
  });
}

Deno.test("diffsac chain actor loss: on the cpu backend (tensor form) as on wasm (fused), to float32 rounding", async () => {
  const env = new VecEnv(() => createPendulum({}), 1, 6);
  const policy = new DiffusionPolicy(
    { observationSpace: env.observationSpace, actionSpace: env.actionSpace },
    { ...defaultsOf(DIFFUSION_SCHEMA), diffusionSteps: 4, hidden: [8, 8], timeHidden: 8 },
    new Rng(6).fork("policy"),
  );
  // a nonzero score network, so every part of the chain carries gradient
  const rng = new Rng(60);
  for (const v of policy.scoreNet.variables()) {
    v.assign(tf.tensor(rng.fillNormal(new Float32Array(v.size)).map((x) => 0.3 * x), v.shape));
  }
  const algo = new DiffSac(contextOf({
    env,
    policy,
    params: { ...defaultsOf(DIFFSAC_SCHEMA), criticHidden: [16, 16] } as DiffSacParams,
    rng: new Rng(6).fork("algo"),
    totalSteps: 500,
  }));
  const obs = Array.from({ length: 7 * 3 }, () => rng.normal());
  const noise = rng.fillNormal(new Float32Array(7 * 5));
  const lossAndGrads = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () =>
          algo.chainActorLoss(tf.tensor2d(obs, [7, 3]), tf.tensor3d(noise, [7, 5, 1]), 0.2).loss,
        policy.trainableVariables(),
      );
      return [
        value.dataSync()[0],
        ...Object.values(grads).flatMap((g) => Array.from(g.dataSync())),
      ];
    });
  const wasm = lossAndGrads();
  await useBackend("cpu");
  try {
    const cpu = lossAndGrads();
    wasm.forEach((w, i) =>
      assert.ok(Math.abs(cpu[i] - w) <= 1e-4 * (1 + Math.abs(w)), `${i}: cpu ${cpu[i]}, wasm ${w}`)
    );
  } finally {
    await useBackend("wasm");
    algo.dispose();
    policy.dispose();
  }
});

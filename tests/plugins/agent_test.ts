/** The library object: create, learn, predict, save, load, evaluate, export, makeEnv. */
import assert from "node:assert/strict";
import { Agent, ConfigError, makeEnv, RunStore } from "../../mod.ts";

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "dmerl-agent-test-" });
}

Deno.test("Agent: learn in two calls equals one call; save/load keeps the policy", async () => {
  const options = {
    algo: "sac" as const,
    env: "Pendulum-v1",
    seed: 3,
    algoParams: { learningStarts: 100, batchSize: 32 },
    policyParams: { hidden: [16, 16] },
    evalEvery: 200,
    evalEpisodes: 2,
    logEvery: 100,
    checkpointEvery: 1000,
    backend: "wasm" as const,
  };
  const whole = await Agent.create(options);
  const rows: number[] = [];
  await whole.learn(300, { callback: (row) => void rows.push(row.step) });
  assert.deepEqual(rows, [100, 200, 300]);
  const split = await Agent.create(options);
  await split.learn(150);
  const second = await split.learn(150);
  assert.equal(second.envSteps, 300);
  assert.equal(second.status, "finished");
  const obs = new Float32Array([1, 0, 0.5]);
  const a = whole.predict(obs, { deterministic: true });
  const b = split.predict(obs, { deterministic: true });
  assert.deepEqual(Array.from(a), Array.from(b));

  const dir = `${tempDir()}/saved`;
  whole.save(dir);
  assert.throws(() => whole.save(dir), ConfigError);
  const loaded = await Agent.load(dir);
  assert.equal(loaded.envSteps, 300);
  assert.deepEqual(Array.from(loaded.predict(obs, { deterministic: true })), Array.from(a));
  // the saved folder is a run folder the CLI reads
  const store = RunStore.open(dir);
  assert.equal(store.readConfig().algo, "sac");
  assert.equal(store.readStatus()?.status, "finished");
  assert.ok(store.has("policy.onnx"));
  // a batch, nested or flat, and stochastic actions inside the Box
  const batch = loaded.predict([[1, 0, 0.5], [0, 1, -0.5]]);
  assert.equal(batch.length, 2);
  for (const row of batch) assert.ok(row[0] >= -2 && row[0] <= 2);
  assert.equal(loaded.predict(new Float32Array(6)).length, 2);
  assert.throws(() => loaded.predict([1, 2]), /obs: expected 3 numbers/);
  // learning after load continues from the checkpoint, leaving the saved folder untouched
  const more = await loaded.learn(100);
  assert.equal(more.envSteps, 400);
  assert.equal(RunStore.open(dir).readStatus()?.envSteps, 300);

  const evaluation = await loaded.evaluate(2, { seed: 1 });
  assert.equal(evaluation.returns.length, 2);
  assert.ok(evaluation.lengths.every((n) => n === 200));
  const onnx = `${tempDir()}/p.onnx`;
  loaded.exportOnnx(onnx, { deterministic: true });
  assert.ok(Deno.statSync(onnx).size > 1000);
  for (const agent of [whole, split, loaded]) agent.dispose();
});

Deno.test("Agent.create: bad options name the field", async () => {
  await assert.rejects(
    () => Agent.create({ algo: "sac", env: "Pendulum-v1", algoParams: { gamma: 2 } }),
    /algoParams.gamma: expected a number/,
  );
  await assert.rejects(
    () => Agent.create({ algo: "nope", env: "Pendulum-v1" }),
    /algo: unknown algorithm 'nope'/,
  );
});

Deno.test("makeEnv builds a registered env and refuses unknown ones", async () => {
  const env = await makeEnv("Pendulum-v1");
  assert.equal(env.observationSpace.low.length, 3);
  assert.equal(env.reset(0).length, 3);
  await assert.rejects(() => makeEnv("Nope-v0"), /env: unknown env 'Nope-v0'/);
});

Deno.test("examples/agent_quickstart.ts runs end to end", async () => {
  const out = `${tempDir()}/quick`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "examples/agent_quickstart.ts", "300", out],
    stdout: "piped",
    stderr: "piped",
  });
  const result = await child.output();
  const stdout = new TextDecoder().decode(result.stdout);
  assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
  assert.match(stdout, /trained 300 steps; first action -?\d/);
  assert.ok(Deno.statSync(`${out}/policy.deterministic.onnx`).isFile);
});

Deno.test("Agent options are typed per algorithm and policy (checked by the type checker)", () => {
  const typed = () =>
    Agent.create({
      algo: "diffsac",
      env: "Pendulum-v1",
      algoParams: { surrogate: "chain" },
      policyParams: { diffusionSteps: 4 },
    });
  const wrongParam = () =>
    // @ts-expect-error: SAC has no policyNoise (TD3 has)
    Agent.create({ algo: "sac", env: "Pendulum-v1", algoParams: { policyNoise: 0.2 } });
  const wrongPolicyParam = () =>
    // @ts-expect-error: the Gaussian policy (SAC's) has no diffusionSteps
    Agent.create({ algo: "sac", env: "Pendulum-v1", policyParams: { diffusionSteps: 4 } });
  const wrongValue = () =>
    // @ts-expect-error: surrogate is "augmented" or "chain"
    Agent.create({ algo: "diffsac", env: "Pendulum-v1", algoParams: { surrogate: "x" } });
  // a plugin algorithm takes any object
  const plugin = () => Agent.create({ algo: "random-search", env: "PointMass-v0", algoParams: {} });
  for (const f of [typed, wrongParam, wrongPolicyParam, wrongValue, plugin]) {
    assert.equal(typeof f, "function");
  }
});

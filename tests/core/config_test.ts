import assert from "node:assert/strict";
import { CONFIG_KEYS, readConfigFile, resolveConfig } from "../../core/config.ts";
import { builtinRegistry } from "../../plugins/builtin.ts";
import { throwsConfig } from "../helpers.ts";

const registry = builtinRegistry();

Deno.test("resolveConfig: ppo on Pendulum-v1 gets its preset over the schema defaults", () => {
  const { config, algorithm, policy } = resolveConfig(
    { algo: "ppo", env: "Pendulum-v1" },
    registry,
  );
  assert.equal(algorithm, registry.algorithm("ppo"));
  assert.equal(policy, registry.policy("gaussian"));
  assert.equal(config.numEnvs, 4, "preset numEnvs");
  assert.equal(config.steps, 300000, "preset steps");
  assert.equal(config.policy, "gaussian", "the algorithm's default policy");
  assert.equal(config.algoParams.gamma, 0.9, "preset gamma");
  assert.equal(config.algoParams.numSteps, 1024);
  assert.equal(config.algoParams.lr, 0.001);
  assert.equal(config.algoParams.clipCoef, 0.2, "schema default where the preset is silent");
  // Run-level schema defaults.
  assert.equal(config.seed, 0);
  assert.equal(config.backend, "auto");
  assert.equal(config.evalEvery, 5000);
  assert.deepEqual(config.plugins, []);
  assert.deepEqual(config.envParams, {});
  // Every key of the resolved config is a known config key.
  for (const key of Object.keys(config)) assert.ok(CONFIG_KEYS.includes(key), key);
});

Deno.test("resolveConfig: raw values override the preset, key by key", () => {
  const { config } = resolveConfig({
    algo: "ppo",
    env: "Pendulum-v1",
    numEnvs: 2,
    steps: 5000,
    algoParams: { gamma: 0.95 },
  }, registry);
  assert.equal(config.numEnvs, 2);
  assert.equal(config.steps, 5000);
  assert.equal(config.algoParams.gamma, 0.95);
  assert.equal(config.algoParams.numSteps, 1024, "other preset values survive");
  // numEnvs 1 explicitly is still an override, not 'unset'.
  assert.equal(resolveConfig({ algo: "ppo", numEnvs: 1 }, registry).config.numEnvs, 1);
});

Deno.test("resolveConfig: without a preset the schema and algorithm defaults apply", () => {
  const { config } = resolveConfig({ algo: "ppo", env: "MountainCarContinuous-v0" }, registry);
  assert.equal(config.numEnvs, 1, "algorithm defaultNumEnvs");
  assert.equal(config.steps, 20000, "RUN_SCHEMA default");
  assert.equal(config.algoParams.gamma, 0.99, "PPO_SCHEMA default");
  assert.equal(config.algoParams.numSteps, 2048);
  // SAC's defaults (its own schema) and its Pendulum preset.
  const sacDefault = resolveConfig({}, registry).config;
  assert.equal(sacDefault.algo, "sac");
  assert.equal(sacDefault.env, "Pendulum-v1");
  assert.equal(sacDefault.algoParams.learningStarts, 1000, "SAC Pendulum preset");
  const sacCar = resolveConfig({ env: "MountainCarContinuous-v0" }, registry).config;
  assert.equal(sacCar.algoParams.learningStarts, 5000, "SAC schema default");
});

Deno.test("resolveConfig: algorithm policyParams defaults (ppo hidden [64, 64])", () => {
  const ppo = resolveConfig({ algo: "ppo" }, registry).config;
  assert.deepEqual(ppo.policyParams.hidden, [64, 64]);
  assert.equal(ppo.policyParams.activation, "tanh");
  assert.equal(ppo.policyParams.logStd, "param");
  assert.equal(ppo.policyParams.init, "orthogonal");
  assert.equal(ppo.policyParams.normalizeObs, true);
  assert.equal(ppo.policyParams.logStdMin, -5, "policy schema default");
  // Naming the default policy explicitly keeps the algorithm's policy defaults.
  const named = resolveConfig({ algo: "ppo", policy: "gaussian" }, registry).config;
  assert.deepEqual(named.policyParams, ppo.policyParams);
  // Raw policyParams override them one by one.
  const custom = resolveConfig({ algo: "ppo", policyParams: { hidden: [32] } }, registry).config;
  assert.deepEqual(custom.policyParams.hidden, [32]);
  assert.equal(custom.policyParams.activation, "tanh");
  // SAC has no policy defaults of its own: the Gaussian schema's apply.
  const sac = resolveConfig({ algo: "sac" }, registry).config;
  assert.deepEqual(sac.policyParams.hidden, [256, 256]);
  assert.equal(sac.policyParams.logStd, "state");
});

Deno.test("resolveConfig: does not mutate the raw config", () => {
  const raw = { algo: "ppo", algoParams: { gamma: 0.5 }, policyParams: { hidden: [8] } };
  const copy = structuredClone(raw);
  resolveConfig(raw, registry);
  assert.deepEqual(raw, copy);
});

Deno.test({
  name: "resolveConfig: resolved configs do not share arrays with the algorithm's defaults",
  fn() {
    const a = resolveConfig({ algo: "ppo" }, registry).config;
    (a.policyParams.hidden as number[]).push(999);
    const b = resolveConfig({ algo: "ppo" }, builtinRegistry()).config;
    assert.deepEqual(b.policyParams.hidden, [64, 64]);
  },
});

Deno.test("resolveConfig: unknown top-level key lists the allowed keys", () => {
  throwsConfig(
    () => resolveConfig({ algo: "ppo", numEnv: 4 }, registry),
    "config: unknown key 'numEnv'",
    "allowed: algo, env, policy, steps",
    "algoParams",
    "envParams",
  );
});

Deno.test("resolveConfig: algoParams errors name 'algoParams'", () => {
  throwsConfig(
    () => resolveConfig({ algo: "ppo", algoParams: { gama: 0.9 } }, registry),
    "algoParams: unknown key 'gama'",
    "allowed: lr, annealLr",
  );
  throwsConfig(
    () => resolveConfig({ algo: "ppo", algoParams: { gamma: 1.5 } }, registry),
    "algoParams.gamma",
    ">= 0 <= 1",
    "1.5",
  );
  throwsConfig(
    () => resolveConfig({ algo: "ppo", algoParams: [1] }, registry),
    "algoParams: expected an object",
  );
  throwsConfig(
    () => resolveConfig({ algo: "ppo", policyParams: { activation: "elu" } }, registry),
    "policyParams.activation",
    "one of relu, tanh, silu, gelu, linear",
  );
});

Deno.test("resolveConfig: bad envParams errors name envParams", () => {
  throwsConfig(
    () => resolveConfig({ envParams: { g: "strong" } }, registry),
    "(env Pendulum-v1)",
    "g",
  );
  throwsConfig(
    () => resolveConfig({ envParams: { mass: 2 } }, registry),
    "(env Pendulum-v1)",
    "'mass'",
  );
  throwsConfig(() => resolveConfig({ envParams: "g=9.8" }, registry), "envParams: expected");
  const ok = resolveConfig({ envParams: { g: 9.81 } }, registry).config;
  assert.deepEqual(ok.envParams, { g: 9.81 });
});

Deno.test("resolveConfig: run-level fields, names and plugins are validated", () => {
  throwsConfig(() => resolveConfig({ steps: 0 }, registry), "steps: expected an integer >= 1");
  throwsConfig(() => resolveConfig({ seed: -1 }, registry), "seed");
  throwsConfig(
    () => resolveConfig({ backend: "cuda" }, registry),
    "backend",
    "one of wasm, cpu, tensorflow, wasm-blas, auto",
  );
  throwsConfig(() => resolveConfig({ algo: "dqn" }, registry), "unknown algorithm 'dqn'", "sac");
  throwsConfig(() => resolveConfig({ env: "Nope-v0" }, registry), "unknown env 'Nope-v0'");
  throwsConfig(() => resolveConfig({ policy: "beta" }, registry), "unknown policy 'beta'");
  throwsConfig(() => resolveConfig({ plugins: "x.ts" }, registry), "plugins");
  throwsConfig(() => resolveConfig({ plugins: [1] }, registry), "plugins");
  assert.deepEqual(resolveConfig({ plugins: ["a.ts"] }, registry).config.plugins, ["a.ts"]);
});

Deno.test("readConfigFile: missing, non-JSON, non-object and valid files", () => {
  const dir = Deno.makeTempDirSync({ prefix: "dmerl_config_" });
  try {
    throwsConfig(
      () => readConfigFile(`${dir}/missing.json`),
      "config: file",
      "missing.json",
      "does not exist",
    );
    const notJson = Deno.makeTempFileSync({ dir, suffix: ".json" });
    Deno.writeTextFileSync(notJson, "{ algo: ppo ");
    throwsConfig(() => readConfigFile(notJson), notJson, "not valid JSON");
    const array = Deno.makeTempFileSync({ dir, suffix: ".json" });
    Deno.writeTextFileSync(array, '[{"algo": "ppo"}]');
    throwsConfig(() => readConfigFile(array), array, "must hold a JSON object");
    const nul = Deno.makeTempFileSync({ dir, suffix: ".json" });
    Deno.writeTextFileSync(nul, "null");
    throwsConfig(() => readConfigFile(nul), "must hold a JSON object");
    const unknown = Deno.makeTempFileSync({ dir, suffix: ".json" });
    Deno.writeTextFileSync(unknown, '{"algo": "ppo", "lr": 0.1}');
    throwsConfig(() => readConfigFile(unknown), `config ${unknown}`, "unknown key 'lr'");
    // A folder is not a readable file either.
    throwsConfig(() => readConfigFile(dir), "does not exist or cannot be read");
    const good = Deno.makeTempFileSync({ dir, suffix: ".json" });
    Deno.writeTextFileSync(good, '{"algo": "ppo", "numEnvs": 2, "algoParams": {"gamma": 0.8}}');
    const raw = readConfigFile(good);
    assert.deepEqual(raw, { algo: "ppo", numEnvs: 2, algoParams: { gamma: 0.8 } });
    const { config } = resolveConfig(raw, registry);
    assert.equal(config.numEnvs, 2);
    assert.equal(config.algoParams.gamma, 0.8);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

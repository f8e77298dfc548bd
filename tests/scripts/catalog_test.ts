/** deno task list, per-algorithm help, --set parsing and "did you mean". */
import assert from "node:assert/strict";
import { builtinRegistry, ConfigError, resolveConfig } from "../../mod.ts";
import { CONFIG_KEYS } from "../../core/config.ts";
import { algorithmHelp, listText, schemaLines } from "../../scripts/catalog.ts";
import { parseSets, withSets } from "../../scripts/cli.ts";
import { throwsConfig } from "../helpers.ts";

const registry = builtinRegistry();

Deno.test("every parameter of every built-in algorithm and policy has a one-line doc", () => {
  const { algorithms, policies } = registry.names();
  const missing: string[] = [];
  for (const name of algorithms) {
    for (const [key, field] of Object.entries(registry.algorithm(name).schema)) {
      if (!field.doc || field.doc.includes("\n")) missing.push(`${name}.${key}`);
    }
  }
  for (const name of policies) {
    for (const [key, field] of Object.entries(registry.policy(name).schema)) {
      if (!field.doc || field.doc.includes("\n")) missing.push(`policy ${name}.${key}`);
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("algorithmHelp: every parameter with type, default, range and doc; the presets", () => {
  const text = algorithmHelp(registry, "td3");
  for (const key of Object.keys(registry.algorithm("td3").schema)) {
    assert.match(text, new RegExp(`^  ${key} `, "m"), key);
  }
  assert.match(text, /^ {2}policyNoise +number +0\.2 +>= 0 +std of the target policy smoothing/m);
  assert.match(text, /policyParams of its default policy 'deterministic'/);
  assert.match(text, /^ {2}Pendulum-v1: \{/m);
  assert.match(text, /^ {2}Hopper-v4, HalfCheetah-v4, Walker2d-v4, Ant-v4, Humanoid-v4: \{/m);
  throwsConfig(() => algorithmHelp(registry, "td4"), "did you mean 'td3'");
  const lines = schemaLines({ k: { type: "string", values: ["a", "b"], default: "a", doc: "d" } });
  assert.deepEqual(lines, ['  k  string  "a"  a|b  d']);
});

Deno.test("listText: algorithms, policies and envs with their sizes", async () => {
  for (const id of registry.names().envs) await registry.prepareEnv(id);
  const algos = listText(registry, "algos");
  for (const name of registry.names().algorithms) {
    assert.match(algos, new RegExp(`^  ${name} `, "m"));
  }
  assert.match(listText(registry, "policies"), /^ {2}diffusion +K-step/m);
  const envs = listText(registry, "envs");
  assert.match(envs, /^ {2}Pendulum-v1 +obs 3, act 1 +Gymnasium/m);
  assert.match(envs, /^ {2}Humanoid-v4 +obs 376, act 17 /m);
});

Deno.test("parseSets: paths into params, JSON values, strings otherwise; bad paths name --set", () => {
  const block = parseSets(
    ["algoParams.gamma=0.98", "algoParams.criticHidden=[64,64]", "env=Hopper-v4", "quiet=true"],
    CONFIG_KEYS,
  );
  assert.deepEqual(block, {
    algoParams: { gamma: 0.98, criticHidden: [64, 64] },
    env: "Hopper-v4",
    quiet: true,
  });
  const merged = withSets({ algoParams: { gamma: 0.9, tau: 0.01 }, steps: 5 }, block);
  assert.deepEqual(merged.algoParams, { gamma: 0.98, tau: 0.01, criticHidden: [64, 64] });
  assert.equal(merged.steps, 5);
  throwsConfig(() => parseSets(["gamma"], CONFIG_KEYS), "--set: expected PATH=VALUE");
  throwsConfig(() => parseSets(["algoParam.gamma=1"], CONFIG_KEYS), "did you mean 'algoParams'");
  throwsConfig(() => parseSets(["algoParams=1"], CONFIG_KEYS), "expected algoParams.NAME=VALUE");
  throwsConfig(() => parseSets(["steps.x=1"], CONFIG_KEYS), "'steps' has no field 'x'");
  // values are validated with the config, naming the field
  assert.throws(
    () => resolveConfig(withSets({}, parseSets(["algoParams.gamma=2"], CONFIG_KEYS)), registry),
    (e) =>
      e instanceof ConfigError && /algoParams.gamma: expected a number >= 0 <= 1/.test(e.message),
  );
  throwsConfig(
    () => resolveConfig(withSets({}, parseSets(["algoParams.gama=0.9"], CONFIG_KEYS)), registry),
    "unknown key 'gama' (did you mean 'gamma'?)",
  );
});

Deno.test("deno task list and train --algo X --help run", async () => {
  const run = async (script: string, ...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
    };
  };
  const list = await run("scripts/list.ts", "policies");
  assert.equal(list.code, 0, list.text);
  assert.match(list.text, /gaussian/);
  const bad = await run("scripts/list.ts", "algo");
  assert.equal(bad.code, 2);
  assert.match(bad.text, /error: kind: unknown 'algo' \(did you mean 'algos'\?\)/);
  const help = await run("scripts/train.ts", "--algo", "diffsac", "--help");
  assert.equal(help.code, 0, help.text);
  assert.match(help.text, /^ {2}surrogate +string +"chain" +augmented\|chain/m);
  assert.match(help.text, /^ {2}diffusionSteps +int +8/m);
});

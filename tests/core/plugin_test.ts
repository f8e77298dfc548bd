import assert from "node:assert/strict";
import { checkPlugin, definePlugin, type Plugin, Registry } from "../../core/plugin.ts";
import { resolveConfig } from "../../core/config.ts";
import { builtinRegistry } from "../../plugins/builtin.ts";
import { DMC_ALIASES, DMC_ENV_IDS } from "../../plugins/dmc/mod.ts";
import { createPendulum } from "../../envs/pendulum.ts";
import { DoubleWell } from "../../envs/double_well.ts";
import { throwsConfig } from "../helpers.ts";

const envDef = { description: "an env", create: () => createPendulum({}) };
const policyDef = {
  description: "a policy",
  kind: "toy",
  schema: {},
  create: () => {
    throw new Error("not built in these tests");
  },
};
const algoDef = {
  description: "an algorithm",
  schema: {},
  defaultPolicy: "toy-policy",
  policyKinds: ["toy"],
  defaultNumEnvs: 1,
  create: () => {
    throw new Error("not built in these tests");
  },
};

function plugin(name: string, parts: Partial<Omit<Plugin, "name">>): Plugin {
  return { name, ...parts } as Plugin;
}

Deno.test("Registry: register and look up envs, policies and algorithms", () => {
  const reg = new Registry();
  reg.register(plugin("toys", {
    envs: { "Toy-v0": envDef },
    policies: { "toy-policy": policyDef },
    algorithms: { toyalgo: algoDef },
  }));
  assert.equal(reg.env("Toy-v0"), envDef);
  assert.equal(reg.policy("toy-policy"), policyDef);
  assert.equal(reg.algorithm("toyalgo"), algoDef);
  assert.deepEqual(reg.names(), {
    envs: ["Toy-v0"],
    policies: ["toy-policy"],
    algorithms: ["toyalgo"],
  });
  assert.deepEqual(reg.plugins.map((p) => p.name), ["toys"]);
});

Deno.test("Registry: a duplicate plugin name is an error", () => {
  const reg = new Registry();
  reg.register(plugin("alpha", { envs: { A: envDef } }));
  throwsConfig(
    () => reg.register(plugin("alpha", { envs: { B: envDef } }), "./alpha2.ts"),
    "plugin 'alpha'",
    "./alpha2.ts",
    "already registered",
  );
  assert.deepEqual(reg.names().envs, ["A"]);
});

Deno.test("Registry: an env/policy/algorithm name taken by another plugin names both", () => {
  for (
    const [kind, parts] of [
      ["env", { envs: { Same: envDef } }],
      ["policy", { policies: { same: policyDef } }],
      ["algorithm", { algorithms: { same: algoDef } }],
    ] as const
  ) {
    const reg = new Registry();
    reg.register(plugin("first", parts));
    const name = kind === "env" ? "Same" : "same";
    throwsConfig(
      () => reg.register(plugin("second", parts), "./second.ts"),
      "plugin 'second'",
      `${kind} '${name}'`,
      "already registered by plugin 'first'",
    );
    assert.deepEqual(reg.plugins.map((p) => p.name), ["first"]);
  }
});

Deno.test({
  name: "Registry: a rejected plugin leaves the registry unchanged",
  fn() {
    const reg = new Registry();
    reg.register(plugin("first", { policies: { same: policyDef } }));
    const bad = plugin("second", { envs: { NewEnv: envDef }, policies: { same: policyDef } });
    throwsConfig(() => reg.register(bad), "already registered by plugin 'first'");
    assert.deepEqual(reg.names().envs, [], "env of a rejected plugin was registered");
    reg.register(plugin("second", { envs: { NewEnv: envDef } }));
    assert.deepEqual(reg.names().envs, ["NewEnv"]);
  },
});

Deno.test("Registry: unknown names list the registered ones", () => {
  const reg = builtinRegistry();
  throwsConfig(
    () => reg.env("CartPole-v1"),
    "env: unknown env 'CartPole-v1'",
    "registered: Pendulum-v1, MountainCarContinuous-v0, DoubleWell-v0",
  );
  throwsConfig(
    () => reg.algorithm("ddpg"),
    "algo: unknown algorithm 'ddpg'",
    "registered: sac, ppo",
  );
  throwsConfig(() => reg.policy("beta"), "policy: unknown policy 'beta'", "registered: gaussian");
  throwsConfig(() => new Registry().env("X"), "unknown env 'X'", "registered: ");
});

Deno.test("checkPlugin: rejects values that are not plugin objects", () => {
  for (const value of [null, undefined, 5, "ppo", [], [{ name: "x" }], () => 1]) {
    throwsConfig(() => checkPlugin(value, "./p.ts"), "plugin ./p.ts", "expected an object");
  }
});

Deno.test("checkPlugin: name must be a non-empty string", () => {
  throwsConfig(() => checkPlugin({ envs: { A: envDef } }, "src"), "plugin src", "'name'");
  throwsConfig(() => checkPlugin({ name: "", envs: { A: envDef } }, "src"), "'name'");
  throwsConfig(() => checkPlugin({ name: 3, envs: { A: envDef } }, "src"), "'name'");
});

Deno.test("checkPlugin: unknown keys list the allowed ones", () => {
  throwsConfig(
    () => checkPlugin({ name: "p", envs: { A: envDef }, env: {} }, "./p.ts"),
    "plugin 'p' (./p.ts)",
    "unknown key 'env'",
    "allowed: name, envs, policies, algorithms",
  );
});

Deno.test("checkPlugin: a plugin that adds nothing is an error", () => {
  throwsConfig(() => checkPlugin({ name: "empty" }, "src"), "plugin 'empty'", "adds nothing");
});

Deno.test("checkPlugin: sections and entries must be objects with the required fields", () => {
  throwsConfig(() => checkPlugin({ name: "p", envs: [] }, "s"), "'envs' must be an object");
  throwsConfig(() => checkPlugin({ name: "p", envs: { A: 1 } }, "s"), "envs.A must be an object");
  const { create: _c, ...noCreate } = envDef;
  throwsConfig(
    () => checkPlugin({ name: "p", envs: { A: noCreate } }, "s"),
    "plugin 'p' (s)",
    "envs.A.create must be a function",
  );
  const { description: _d, ...noDescription } = envDef;
  throwsConfig(
    () => checkPlugin({ name: "p", envs: { A: noDescription } }, "s"),
    "envs.A.description must be a string",
  );
  const { create: _pc, ...policyNoCreate } = policyDef;
  throwsConfig(
    () => checkPlugin({ name: "p", policies: { q: policyNoCreate } }, "s"),
    "policies.q.create must be a function",
  );
  throwsConfig(
    () => checkPlugin({ name: "p", policies: { q: { ...policyDef, kind: 1 } } }, "s"),
    "policies.q.kind must be a string",
  );
  throwsConfig(
    () => checkPlugin({ name: "p", algorithms: { a: { ...algoDef, schema: undefined } } }, "s"),
    "algorithms.a.schema must be a object",
  );
  throwsConfig(
    () => checkPlugin({ name: "p", algorithms: { a: { ...algoDef, defaultNumEnvs: "1" } } }, "s"),
    "algorithms.a.defaultNumEnvs must be a number",
  );
  throwsConfig(
    () => checkPlugin({ name: "p", algorithms: { a: { ...algoDef, defaultPolicy: null } } }, "s"),
    "algorithms.a.defaultPolicy must be a string",
  );
  // A well-formed plugin passes, and definePlugin returns it unchanged.
  const good = plugin("good", { envs: { A: envDef }, algorithms: { a: algoDef } });
  checkPlugin(good, "s");
  assert.equal(definePlugin(good), good);
  throwsConfig(() => definePlugin({ name: "bad" }), "plugin 'bad' (definePlugin)", "adds nothing");
});

Deno.test({
  name: "checkPlugin: an algorithm without policyKinds is rejected up front",
  fn() {
    const { policyKinds: _k, ...noKinds } = algoDef;
    const bad = { name: "p", algorithms: { a: noKinds } };
    throwsConfig(() => checkPlugin(bad, "./p.ts"), "plugin 'p' (./p.ts)", "policyKinds");
    // registering it is refused the same way, before resolveConfig could trip over it
    const reg = builtinRegistry();
    throwsConfig(() => reg.register(bad as unknown as Plugin), "policyKinds");
    throwsConfig(() => resolveConfig({ algo: "a" }, reg), "unknown algorithm 'a'");
  },
});

Deno.test("builtinRegistry lists the built-in envs, policies and algorithms", async () => {
  const reg = builtinRegistry();
  const names = reg.names();
  assert.deepEqual(names.envs, [
    "Pendulum-v1",
    "MountainCarContinuous-v0",
    "DoubleWell-v0",
    "InvertedPendulum-v4",
    "Hopper-v4",
    "HalfCheetah-v4",
    "Walker2d-v4",
    "Ant-v4",
    "Humanoid-v4",
    // each DMC task, then its Playground alias
    ...DMC_ENV_IDS.flatMap((id) => [id, DMC_ALIASES[id]]),
  ]);
  assert.deepEqual(names.policies, ["gaussian", "diffusion", "deterministic"]);
  assert.deepEqual(names.algorithms, [
    "sac",
    "ppo",
    "diffsac",
    "diffppo",
    "dppo",
    "wpo",
    "diffwpo",
    "td3",
    "reppo",
    "diffreppo",
  ]);
  assert.deepEqual(reg.plugins.map((p) => p.name), [
    "classic-control",
    "mujoco",
    "dmc",
    "gaussian-policy",
    "diffusion-policy",
    "deterministic-policy",
    "sac",
    "ppo",
    "diffsac",
    "diffppo",
    "wpo",
    "diffwpo",
    "td3",
    "reppo",
    "diffreppo",
  ]);
  // Every built-in env can be created with no params and has a description.
  for (const id of names.envs) {
    const def = reg.env(id);
    assert.ok(def.description.length > 0);
    await reg.prepareEnv(id);
    const env = def.create({});
    // a Playground alias builds the task it names, which reports its own id
    assert.ok(env.id === id || DMC_ALIASES[env.id] === id, `${id} built ${env.id}`);
    env.close?.();
  }
  for (const a of names.algorithms) {
    const def = reg.algorithm(a);
    assert.ok(names.policies.includes(def.defaultPolicy));
    assert.ok(def.policyKinds.includes(reg.policy(def.defaultPolicy).kind));
  }
  // Each call builds a fresh registry.
  assert.notEqual(builtinRegistry(), reg);
  throwsConfig(() => reg.register(reg.plugins[0]), "already registered");
});

Deno.test("Registry.prepareEnv runs an env's prepare once; plugins must give a function", async () => {
  let calls = 0;
  const reg = new Registry();
  reg.register(definePlugin({
    name: "lazy",
    envs: {
      "Lazy-v0": {
        description: "needs set-up",
        create: () => new DoubleWell(),
        prepare: () => {
          calls++;
          return Promise.resolve();
        },
      },
      "Eager-v0": { description: "no set-up", create: () => new DoubleWell() },
    },
  }));
  await Promise.all([reg.prepareEnv("Lazy-v0"), reg.prepareEnv("Lazy-v0")]);
  await reg.prepareEnv("Lazy-v0");
  await reg.prepareEnv("Eager-v0");
  assert.equal(calls, 1);
  await assert.rejects(() => reg.prepareEnv("Nope-v0"), /Nope-v0/);
  throwsConfig(
    () =>
      checkPlugin({
        name: "bad",
        envs: { "X-v0": { description: "x", create: () => null, prepare: 1 } },
      }, "test"),
    "envs.X-v0.prepare must be a function",
  );
});

Deno.test("a MuJoCo env built before its engine is loaded names the fix", async () => {
  // a fresh process: in this one the engine may already be loaded by other tests
  const code = `import { Hopper } from "${
    new URL("../../envs/mujoco/hopper.ts", import.meta.url).href
  }";
try { new Hopper(); console.log("built"); } catch (e) { console.log(String(e)); }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /Hopper-v4: the MuJoCo engine is not loaded yet; await registry\.prepareEnv/);
});

/**
 * The DMC tasks through the registry: ids and Playground aliases, observation sizes and key
 * order, determinism under a seed, exact resume through state()/load(), truncation at 1000
 * control steps, and the action repeat.
 */
import assert from "node:assert/strict";
import { builtinRegistry } from "../../plugins/builtin.ts";
import { DMC_ALIASES, DMC_ENV_IDS, dmcRawLoop } from "../../plugins/dmc/mod.ts";
import type { DmcEnv } from "../../envs/dmc/dmc_env.ts";
import { ConfigError } from "../../core/schema.ts";
import { randomActions, rollout } from "./mujoco_helpers.ts";

const registry = builtinRegistry();
for (const id of DMC_ENV_IDS) await registry.prepareEnv(id);
const make = (id: string, params: Record<string, unknown> = {}) =>
  registry.env(id).create(params) as DmcEnv;

const HUMANOID_LAYOUT: [string, number][] = [
  ["joint_angles", 21],
  ["head_height", 1],
  ["extremities", 12],
  ["torso_vertical", 3],
  ["com_velocity", 3],
  ["velocity", 27],
];
/** dm_control's observation dictionaries: keys and sizes, in order. */
const LAYOUTS: Record<string, [string, number][]> = {
  "dmc/pendulum-swingup": [["orientation", 2], ["velocity", 1]],
  "dmc/cartpole-balance": [["position", 3], ["velocity", 2]],
  "dmc/cartpole-balance-sparse": [["position", 3], ["velocity", 2]],
  "dmc/cartpole-swingup": [["position", 3], ["velocity", 2]],
  "dmc/cartpole-swingup-sparse": [["position", 3], ["velocity", 2]],
  "dmc/cheetah-run": [["position", 8], ["velocity", 9]],
  "dmc/walker-stand": [["orientations", 14], ["height", 1], ["velocity", 9]],
  "dmc/walker-walk": [["orientations", 14], ["height", 1], ["velocity", 9]],
  "dmc/walker-run": [["orientations", 14], ["height", 1], ["velocity", 9]],
  "dmc/hopper-stand": [["position", 6], ["velocity", 7], ["touch", 2]],
  "dmc/hopper-hop": [["position", 6], ["velocity", 7], ["touch", 2]],
  "dmc/acrobot-swingup": [["orientations", 4], ["velocity", 2]],
  "dmc/acrobot-swingup-sparse": [["orientations", 4], ["velocity", 2]],
  "dmc/finger-spin": [["position", 4], ["velocity", 3], ["touch", 2]],
  "dmc/fish-swim": [["joint_angles", 7], ["upright", 1], ["target", 3], ["velocity", 13]],
  "dmc/reacher-easy": [["position", 2], ["to_target", 2], ["velocity", 2]],
  "dmc/reacher-hard": [["position", 2], ["to_target", 2], ["velocity", 2]],
  ...Object.fromEntries(
    ["stand", "walk", "run"].map((t) => [`dmc/humanoid-${t}`, HUMANOID_LAYOUT]),
  ),
};
/** Action sizes and physics steps per control step (control timestep / model timestep). */
const ACTIONS: Record<string, [number, number]> = {
  pendulum: [1, 1],
  cartpole: [1, 1],
  cheetah: [6, 1],
  walker: [6, 10],
  hopper: [4, 4],
  acrobot: [1, 1],
  finger: [2, 2],
  fish: [5, 10],
  reacher: [2, 1],
  humanoid: [21, 5],
};

Deno.test("dmc: ids, aliases, layouts, action boxes and sub-steps", () => {
  assert.deepEqual([...DMC_ENV_IDS].sort(), Object.keys(LAYOUTS).sort());
  const names = registry.names().envs;
  for (const id of DMC_ENV_IDS) {
    assert.ok(names.includes(id) && names.includes(DMC_ALIASES[id]), id);
    const env = make(id);
    const alias = make(DMC_ALIASES[id]);
    try {
      assert.equal(env.id, id);
      assert.equal(alias.id, id);
      const layout = env.observationLayout.map((k) => [k.key, k.size]);
      assert.deepEqual(layout, LAYOUTS[id]);
      const size = LAYOUTS[id].reduce((n, [, s]) => n + s, 0);
      assert.equal(env.observationSpace.low.length, size);
      assert.equal(env.reset(3).length, size);
      const [act, sub] = ACTIONS[id.slice(4).split("-")[0]];
      assert.deepEqual(Array.from(env.actionSpace.low), new Array(act).fill(-1), id);
      assert.deepEqual(Array.from(env.actionSpace.high), new Array(act).fill(1), id);
      assert.equal(env.frameSkip, sub, id);
      assert.equal(env.maxEpisodeSteps, 1000);
      assert.deepEqual(Array.from(env.reset(3)), Array.from(alias.reset(3)), id);
    } finally {
      env.close();
      alias.close();
    }
  }
});

Deno.test("dmc: the same seed and actions give the same episode; other seeds differ", () => {
  for (const id of DMC_ENV_IDS) {
    const [a, b] = [make(id), make(id)];
    try {
      const actions = randomActions(a, 40, 7);
      const first = [...a.reset(11), ...rollout(a, actions)];
      assert.deepEqual([...b.reset(11), ...rollout(b, actions)], first, id);
      assert.notDeepEqual(Array.from(b.reset(12)), first.slice(0, a.observationSpace.low.length));
    } finally {
      a.close();
      b.close();
    }
  }
});

Deno.test("dmc: state()/load() resumes exactly, also in a fresh env", () => {
  for (const id of DMC_ENV_IDS) {
    const [a, b] = [make(id), make(id)];
    try {
      a.reset(5);
      rollout(a, randomActions(a, 25, 1));
      const saved = JSON.parse(JSON.stringify(a.state()));
      const actions = randomActions(a, 25, 2);
      const expected = rollout(a, actions);
      b.reset(99); // a different episode (fish: a different target) before loading
      b.load(saved);
      assert.deepEqual(rollout(b, actions), expected, id);
    } finally {
      a.close();
      b.close();
    }
  }
});

Deno.test("dmc: 1000-step episodes, truncated and never terminated", () => {
  for (const id of ["dmc/cheetah-run", "dmc/walker-walk", "dmc/fish-swim", "dmc/reacher-easy"]) {
    const env = make(id);
    try {
      env.reset(1);
      const actions = randomActions(env, 1000, 3);
      for (let i = 0; i < 1000; i++) {
        const r = env.step(actions[i]);
        assert.equal(r.terminated, false);
        assert.equal(r.truncated, i === 999, `${id} step ${i + 1}`);
        assert.ok(r.reward >= 0 && r.reward <= 1, `${id} reward ${r.reward}`);
      }
    } finally {
      env.close();
    }
  }
});

Deno.test("dmc: actionRepeat sums the rewards of repeated control steps", () => {
  const one = make("dmc/walker-walk");
  const three = make("dmc/walker-walk", { actionRepeat: 3 });
  try {
    assert.equal(three.maxEpisodeSteps, 334);
    one.reset(4);
    three.reset(4);
    const actions = randomActions(one, 334, 5);
    for (let i = 0; i < 334; i++) {
      const r = three.step(actions[i]);
      let sum = 0;
      let obs: number[] = [];
      for (let k = 0; k < (i < 333 ? 3 : 1); k++) {
        const s = one.step(actions[i]);
        sum += s.reward;
        obs = Array.from(s.obs);
        assert.equal(s.truncated, i === 333 && k === 0);
      }
      assert.equal(r.reward, sum);
      assert.deepEqual(Array.from(r.obs), obs);
      assert.equal(r.truncated, i === 333, `step ${i + 1}`); // 333 * 3 + 1 = 1000 control steps
    }
  } finally {
    one.close();
    three.close();
  }
  for (const bad of [0, 1.5, 1001, "2"]) {
    assert.throws(
      () => make("dmc/cheetah-run", { actionRepeat: bad }),
      (e) =>
        e instanceof ConfigError && /envParams\.actionRepeat: expected an integer/.test(e.message),
    );
  }
  assert.throws(() => make("dmc/cheetah-run", { frameSkip: 2 }), /unknown key 'frameSkip'/);
});

Deno.test("dmc: the bare engine loop for speed comparisons runs the env's model", () => {
  const env = make("dmc/walker-walk");
  const raw = dmcRawLoop(env);
  try {
    for (const a of randomActions(env, 5, 1)) raw.step(a);
    raw.reset();
    raw.step(new Float32Array(6));
  } finally {
    raw.close();
    env.close();
  }
  assert.throws(() => dmcRawLoop({}), /dmcRawLoop: expected a DMC task env/);
});
